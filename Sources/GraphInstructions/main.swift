// graph-instructions PRESET FRAMES [AGENT_RATE]: runs FRAMES frames of the test speech through the
// preset's uplink and, as the echo agent, its downlink: one call's per-frame work, on one thread,
// with nothing else running. scripts/instructions runs it under valgrind's callgrind, counting
// only instructions inside NodeChain.run, to give a repeatable instructions-per-frame figure
// (perf events do not exist on CI's virtual machines). A synchronous program on purpose: callgrind
// 3.19 crashes on the Swift async runtime's signal thread.
import ExampleNodes
import Foundation
import MediaGraph
import MediaTesting

let arguments = CommandLine.arguments
guard arguments.count >= 3, let frames = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: graph-instructions PRESET FRAMES [AGENT_RATE]\n".utf8))
    exit(2)
}
do {
    let agent = arguments.count > 3 ? Int(arguments[3]).map { AgentAudio.pcm(rateHz: $0) } : nil
    // voiced's nodes and the example nodes (Examples/Nodes), as `voiced` has them; work nodes do
    // off the media thread (the neural VAD's network) on analysis threads, as on a call, so only
    // the media thread's share is counted.
    let graph = try Graph(spec: GraphSpec.named(arguments[1]), providerFormat: .telephonyMuLaw, agent: agent ?? .natural,
                          nodes: NodeCatalog.builtIn.adding(ExampleNodes.catalog), analysis: .background)
    let speech = try WAVFile(path: TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/speech-8k-mulaw.wav").path).muLawFrames()
    for i in 0..<frames {
        speech[i % speech.count].withUnsafeBytes { frame in
            _ = graph.runEcho(arrivalNanos: 0) { $0.copyMemory(from: frame) }
        }
        // As on a call, where a frame comes every 20 ms: the analysis threads keep up, nothing is
        // dropped, and the count repeats.
        AnalysisThreads.shared.waitUntilIdle()
    }
} catch {
    FileHandle.standardError.write(Data("graph-instructions: \(error)\n".utf8))
    exit(1)
}
