import ArgumentParser
import Foundation
import MediaGraph
import LoadGen

/// `voiced process`: runs a graph over a WAV file offline, frame by frame on one thread, exactly as
/// a call's media thread would, and reports each node's cost and the graph's events.
struct Process: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a media graph over a WAV file offline; report per-node cost and events.",
        discussion: """
            The input is the provider's audio (the uplink): mono μ-law 8 kHz, or
            16-bit PCM at 8, 16, 24 or 48 kHz. The downlink plays --far-end (the
            agent's audio, 16-bit PCM at the agent's rate) or, without it, the
            uplink's own output back (the echo agent). Both directions run every
            20 ms frame, as on a call. Try a node of your own with a spec:
              voiced process --input TestAudio/speech-8k-mulaw.wav --output out.wav \\
                --graph 'mulaw-decode, apm(ns=very-high), vad; mulaw-encode'
            Times are wall clock on this machine; for a repeatable cost see
            scripts/instructions (valgrind's callgrind).
            """)

    @Option(help: "A preset (\(GraphSpec.presets.keys.sorted().joined(separator: ", "))) or a spec 'uplink nodes; downlink nodes'.")
    var graph = "standard"

    @Option(help: "WAV with the provider's audio.")
    var input: String

    @Option(help: "Write what the agent receives (the uplink's output) to this WAV.")
    var output: String?

    @Option(help: "Write what the caller hears (the downlink's output) to this WAV.")
    var downlinkOutput: String?

    @Option(help: "WAV the agent speaks on the downlink (16-bit PCM at the agent's rate); default: echo the uplink.")
    var farEnd: String?

    @Option(help: "The agent's sample rate ('rate=agent' in a spec). Default: the input's.")
    var agentRate: Int?

    @Option(help: "Run over the input this many times (for steadier figures).")
    var passes = 1

    func run() throws {
        let wav = try WAVFile(path: input)
        let provider = AudioFormat(encoding: wav.formatTag == 7 ? .mulaw : .pcm16, sampleRateHz: wav.sampleRateHz)
        let farFile = try farEnd.map { path in
            let file = try WAVFile(path: path)
            guard file.formatTag == 1, agentRate == nil || file.sampleRateHz == agentRate else {
                throw ValidationError("--far-end must be 16-bit PCM\(agentRate.map { " at \($0) Hz, the agent's rate" } ?? "")")
            }
            return file
        }
        // The agent hears and speaks PCM at --agent-rate, or at the far end's rate; without either it
        // is an echo of whatever the graph's uplink produces.
        let agent = (agentRate ?? farFile?.sampleRateHz).map { AgentAudio.pcm(rateHz: $0) } ?? .natural
        let spec: GraphSpec
        let media: Graph
        do {
            spec = try GraphSpec.named(graph)
            media = try Graph(spec: spec, providerFormat: provider, agent: agent)
        } catch {
            throw ValidationError("--graph: \(error)")
        }
        let far = farFile?.data
        let frameBytes = provider.bytesPerFrame
        let frames = wav.data.count / frameBytes
        guard frames > 0, passes >= 1 else { throw ValidationError("the input holds no whole 20 ms frame") }

        var agentAudio: [UInt8] = []
        var callerAudio: [UInt8] = []
        var events: [MediaEvent] = []
        let cpuStart = Self.threadCPUNanos()
        for pass in 0..<passes {
            for index in 0..<frames {
                let reply = wav.data.withUnsafeBytes { all in
                    media.runUplink(arrivalNanos: 0) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[(index * frameBytes)...].prefix(frameBytes))) }
                }
                let heard = media.runDownlink(arrivalNanos: 0) { bytes in
                    guard let far else { return bytes.copyMemory(from: UnsafeRawBufferPointer(reply.pointee.bytes)) }
                    far.withUnsafeBytes { all in
                        // Past the end of the far-end file the agent is silent.
                        let chunk = UnsafeRawBufferPointer(rebasing: all[min(index * bytes.count, all.count)...].prefix(bytes.count))
                        bytes.copyMemory(from: chunk)
                        UnsafeMutableRawBufferPointer(rebasing: bytes[chunk.count...]).initializeMemory(as: UInt8.self, repeating: 0)
                    }
                }
                // Drained every frame, as on a call (the lane is bounded); kept from the first pass.
                media.events.drain { event in if pass == 0 { events.append(event) } }
                guard pass == 0 else { continue }
                if output != nil { agentAudio += reply.pointee.bytes }
                if downlinkOutput != nil { callerAudio += heard.pointee.bytes }
            }
        }
        let cpuNanos = Self.threadCPUNanos() - cpuStart
        try write(output, agentAudio, media.agentHears)
        try write(downlinkOutput, callerAudio, provider)
        report(spec: spec, graph: media, frames: frames * passes, cpuNanos: cpuNanos, events: events)
    }

    private func write(_ path: String?, _ data: [UInt8], _ format: AudioFormat) throws {
        guard let path else { return }
        guard format.encoding != .opus else { throw ValidationError("\(path): Opus packets cannot go into a WAV") }
        try WAVFile.write(path: path, formatTag: format.encoding == .mulaw ? 7 : 1, sampleRateHz: format.sampleRateHz, data: data)
    }

    private func report(spec: GraphSpec, graph: Graph, frames: Int, cpuNanos: UInt64, events: [MediaEvent]) {
        print("graph \(spec.name): \(spec.text)")
        print("provider \(graph.providerFormat), agent hears \(graph.agentHears), speaks \(graph.agentSpeaks); \(frames) frames (\(frames / 50) s of call)")
        print("node                              p50 ns     p99 ns     max ns")
        for (node, histogram) in graph.nodeTimings {
            let cells = [50.0, 99.0].map { String(histogram.nanos(atPercentile: $0)) } + [String(histogram.maxNanos)]
            print(node.padding(toLength: 30, withPad: " ", startingAt: 0) + cells.map { $0.leftPadded(11) }.joined())
        }
        if let canceller = graph.audioProcessor, canceller.settings.echoCancellation {
            let delay = canceller.echoDelayEstimateMs.map {
                "echo path delay \($0) ms (envelope correlation \(String(format: "%.2f", canceller.echoDelayConfidence)))"
            } ?? "no echo heard to time"
            print("echo canceller: \(delay), double talk \(canceller.doubleTalkChunks * 10) ms")
        }
        let perFrameMicros = Double(cpuNanos) / Double(frames) / 1000
        print(String(format: "CPU: %.1f µs per frame (both directions) = %.2f CPU-ms per call-second", perFrameMicros, perFrameMicros * 50 / 1000))
        for event in events { print("event \(event)") }
    }

    private static func threadCPUNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
