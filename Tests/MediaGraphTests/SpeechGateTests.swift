import Foundation
@testable import MediaGraph
import MediaTesting
import NodeTestKit
import Testing

/// `speech-gate` after `silero-vad`, as the `neural` preset has them: issue 10's noise-suppression
/// targets on the audio-quality corpus — the caller's speech keeps its level, the pauses lose the
/// noise.
@Suite struct SpeechGateTests {
    @Test func theNeuralPresetKeepsSpeechAndTakesTheNoiseOutOfThePauses() throws {
        let corpus = try Corpus()
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        let clean = try corpus.voices.map {
            try NoiseSuppressionMeasurement(spec: .neural, speech: $0.caller, sentences: $0.sentences, noise: nil)
        }
        let loss = mean(clean.map(\.cleanLossDb)), down = mean(clean.map(\.cleanFramesSixDbDown))
        var reduction: [String: Double] = [:]
        for kind in ["white", "babble"] {
            reduction[kind] = mean(try corpus.voices.map {
                try NoiseSuppressionMeasurement(spec: .neural, speech: $0.caller, sentences: $0.sentences, noise: corpus.noises[kind])
                    .noiseReductionDb ?? 0
            })
        }
        print("neural: clean speech \(String(format: "%.2f", loss)) dB, \(String(format: "%.1f", down * 100)) % of frames > 6 dB down; less noise in pauses \(reduction.mapValues { String(format: "%.1f dB", $0) })")
        #expect(loss >= -0.5)
        #expect(down <= 0.05)
        #expect(reduction["white"]! >= 10)
        #expect(reduction["babble"]! >= 10)
    }

    @Test func itNeedsAVADBeforeIt() {
        #expect(throws: GraphBuildError.missingDependency(node: "speech-gate", needs: "a 'vad' node (or another VAD) before it on the uplink")) {
            try NodeHarness("speech-gate")
        }
        #expect(throws: GraphBuildError.badParameter(node: "speech-gate", parameter: "floor-db", value: "-80", expected: "an integer from -60 to 0")) {
            try NodeHarness("vad, speech-gate(floor-db=-80)")
        }
    }

    /// A VAD that stops deciding — its analysis thread stuck — opens the gate within
    /// ``SpeechGateNode/staleMs``, and open, the gate passes the audio bit for bit.
    @Test func aVADThatStopsDecidingOpensTheGate() throws {
        let threads = AnalysisThreads(count: 1)
        let stuck = SileroVADTests.StuckStream()
        try threads.leastBusy.add(stuck)
        defer { stuck.release.signal() }
        threads.leastBusy.wake()
        try #require(stuck.entered.wait(timeout: .now() + 10) == .success)
        let scope = GraphScope(analysis: .background)
        let chain = try NodeChain(nodes: [SileroVADNode(scope: scope, settings: .init(), threads: threads), SpeechGateNode(scope: scope)],
                                  input: .pcm8k)
        var outputs: [[Int16]] = []
        var inputs: [[Int16]] = []
        for frame in 0..<50 {
            chain.input.pointee.sampleCount = 160
            let pcm = chain.input.pointee.pcm16
            for i in 0..<160 { pcm[i] = Int16(3000 * sin(Double(frame * 160 + i) * 2 * .pi * 440 / 8000)) }
            chain.run()
            inputs.append(Array(pcm))
            outputs.append(Array(chain.output.pointee.pcm16))
        }
        #expect(Level.dbfs(outputs[10]) < Level.dbfs(inputs[10]) - 14, "closed before the VAD said anything")
        #expect(outputs[30...] == inputs[30...], "open, and bit-exact, once the VAD is 500 ms behind")
    }

    /// A steady voice-free tone is lowered by the floor from the call's start (nothing voiced
    /// yet), with no allocation.
    @Test func beforeAnyVoiceTheAudioIsAtTheFloor() throws {
        let harness = try NodeHarness("vad, speech-gate(floor-db=-20)")
        let tone = (0..<8000).map { Int16(8000 * sin(Double($0) * 2 * .pi * 100 / 8000)) }
        let run = harness.process(tone)
        let inLevel = Level.dbfs(tone[4000...]), outLevel = Level.dbfs(run.samples[4000..<8000])
        #expect(abs(outLevel - inLevel + 20) < 0.5, "\(inLevel) → \(outLevel)")
        if let allocations = run.allocations { #expect(allocations == 0) }
    }
}
