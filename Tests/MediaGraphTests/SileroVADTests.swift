import CAudio
import Foundation
@testable import MediaGraph
import MediaTesting
import NodeTestKit
import Testing

/// The neural VAD (`silero-vad`, the `neural` preset) against issue 10's targets on the
/// audio-quality corpus, and its live arrangement — the network on an analysis thread — against
/// the same decisions made inline.
@Suite struct SileroVADTests {
    /// Frame accuracy, onsets and false starts over every corpus voice, through the whole `neural`
    /// graph (μ-law in, the echo canceller before the VAD, the gate after it), as
    /// scripts/audio-quality reports them.
    @Test func holdsInWhiteBrownAndBabbleNoise() throws {
        let corpus = try Corpus()
        var accuracy: [String: Double] = [:]
        var onsets: [Int] = []
        for noise in ["clean", "white", "babble", "brown"] {
            let results = try corpus.voices.map { voice in
                try VoiceActivityMeasurement(spec: .neural, speech: voice.caller, sentences: voice.sentences,
                                             noise: noise == "clean" ? nil : corpus.noises[noise])
            }
            accuracy[noise] = results.map(\.accuracy).reduce(0, +) / Double(results.count)
            if noise == "clean" { onsets = results.flatMap { $0.onsetsMs.compactMap { $0 } }.sorted() }
        }
        try #require(!onsets.isEmpty, "no speech found at all")
        let falseStarts = try ["white", "babble", "brown"].map { kind in
            try VoiceActivityMeasurement.falseStartsInNoise(spec: .neural, noise: corpus.noises[kind]!, levelOf: corpus.voices[0].caller)
        }
        print("silero-vad: frames right \(accuracy.mapValues { String(format: "%.1f %%", $0 * 100) }), median onset \(onsets[onsets.count / 2]) ms, false starts in 60 s of white/babble/brown \(falseStarts)")
        #expect(accuracy["clean"]! >= 0.95)
        for noise in ["white", "babble", "brown"] { #expect(accuracy[noise]! >= 0.90, "\(noise) noise at 10 dB SNR") }
        #expect(onsets.count == corpus.voices.map(\.sentences.count).reduce(0, +), "every sentence starts speech")
        #expect(onsets[onsets.count / 2] <= 100 && onsets.allSatisfy { $0 <= 150 })
        #expect(falseStarts.allSatisfy { $0 <= 1 }, "white, babble, brown: \(falseStarts)")
    }

    /// The test speech through a lone node, as a call runs it: on an analysis thread, waiting for
    /// each answer before the next frame (so nothing is dropped), gives the very events the node
    /// makes inline — the decisions come back late but keep their chunk's media time.
    @Test func onAnAnalysisThreadTheDecisionsAreTheInlineOnes() throws {
        func events(_ analysis: AnalysisPlacement) throws -> [MediaEvent] {
            let scope = GraphScope(analysis: analysis)
            let node = SileroVADNode(scope: scope)
            let chain = try NodeChain(nodes: [node], input: .pcm8k)
            for frame in try TestSpeech.frames() + [[UInt8]](repeating: [UInt8](repeating: 0xFF, count: 160), count: 30) {
                chain.input.pointee.sampleCount = 160
                let pcm = chain.input.pointee.pcm16
                for i in 0..<160 { pcm[i] = vd_ulaw_decode_sample(frame[i]) }
                chain.run()
                let deadline = Date().addingTimeInterval(10)
                while node.unanswered > 0, Date() < deadline { usleep(200) }
                try #require(node.unanswered == 0, "the analysis thread answers")
            }
            var events: [MediaEvent] = []
            scope.existing(EventLane.self)!.drain { events.append($0) }
            return events
        }
        let inline = try events(.inline)
        #expect(inline.count >= 2 * (try TestSpeech.sentences()).count - 2, "speech starts and stops: \(inline)")
        #expect(try events(.background) == inline)
    }

    /// On a call's media thread the node converts samples and passes chunks through a ring:
    /// nothing allocated there, whatever the analysis thread does.
    @Test func liveTheMediaThreadAllocatesNothing() throws {
        let harness = try NodeHarness("silero-vad", input: .telephonyMuLaw, analysis: .background)
        let run = try harness.process(wav: TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/speech-8k-mulaw.wav").path)
        if let allocations = run.allocations { #expect(allocations == 0) }
    }

    /// An analysis stream that holds its worker until the test lets go.
    final class StuckStream: AnalysisStream, @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        private var stuck = false
        var hasPending: Bool { false }
        func analyzePending() {
            guard !stuck else { return }
            stuck = true
            entered.signal()
            release.wait()
        }
    }

    /// A worker stuck elsewhere: the node queues half a second of chunks, then drops the rest and
    /// says so once (`behind`), never waiting; once the worker is back, the queued chunks are
    /// answered and decisions go on.
    @Test func aWorkerFarBehindCostsChunksNotTheMediaThread() throws {
        let threads = AnalysisThreads(count: 1)
        let stuck = StuckStream()
        try threads.leastBusy.add(stuck)
        defer { stuck.release.signal() }
        threads.leastBusy.wake()
        try #require(stuck.entered.wait(timeout: .now() + 10) == .success, "the worker took the stuck stream")
        let scope = GraphScope(analysis: .background)
        let node = SileroVADNode(scope: scope, settings: .init(), threads: threads)
        let chain = try NodeChain(nodes: [node], input: .pcm8k)
        let frames = try TestSpeech.frames()
        func run(_ range: Range<Int>) -> [MediaEvent] {
            for frame in frames[range] {
                chain.input.pointee.sampleCount = 160
                let pcm = chain.input.pointee.pcm16
                for i in 0..<160 { pcm[i] = vd_ulaw_decode_sample(frame[i]) }
                chain.run()
            }
            var events: [MediaEvent] = []
            scope.existing(EventLane.self)!.drain { events.append($0) }
            return events
        }
        let chunks = 100 * 160 / 256
        let behind = run(0..<100)
        #expect(behind == [.node(NodeEvent("silero-vad", detail: "behind", value: 1, mediaMs: UInt64(SileroStream.ringSlots * 32)))])
        #expect(node.unanswered == SileroStream.ringSlots, "\(chunks - SileroStream.ringSlots) of \(chunks) chunks dropped")
        stuck.release.signal()
        let deadline = Date().addingTimeInterval(10)
        while node.unanswered > 0, Date() < deadline { usleep(1000) }
        try #require(node.unanswered == 0, "the worker, back, answers what was queued")
        let after = run(100..<frames.count)
        #expect(after.contains { if case .speechStarted = $0 { true } else { false } }, "\(after)")
    }

    /// 16 kHz works as 8 kHz does (512-sample chunks), and the audio passes unchanged.
    @Test func wideband() throws {
        let corpus = try Corpus(rateHz: 16000)
        let voice = corpus.voices[0]
        let harness = try NodeHarness("silero-vad", input: AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
        let run = harness.process(voice.caller)
        let mismatch = zip(run.samples, voice.caller).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(mismatch == nil, "first difference at \(mismatch.map { "\($0.offset): \($0.element)" } ?? "")")
        let starts = run.events.filter { if case .speechStarted = $0 { true } else { false } }
        #expect(starts.count >= voice.sentences.count - 1 && starts.count <= voice.sentences.count + 1, "\(run.events)")
    }

    @Test func settingsAreChecked() {
        #expect(throws: GraphBuildError.badParameter(node: "silero-vad", parameter: "threshold", value: "2",
                                                     expected: "a number from 0.05 to 0.95")) {
            try NodeHarness("silero-vad(threshold=2)")
        }
        #expect(throws: GraphBuildError.badParameter(node: "silero-vad", parameter: "release", value: "0.7",
                                                     expected: "a number from 0.01 to 0.6")) {
            try NodeHarness("silero-vad(threshold=0.6, release=0.7)")
        }
        #expect(throws: GraphBuildError.unsupportedFormat(node: "silero-vad", input: AudioFormat(encoding: .pcm16, sampleRateHz: 48000),
                                                          expected: "pcm16 mono at 8000 or 16000 Hz")) {
            try NodeHarness("silero-vad", input: AudioFormat(encoding: .pcm16, sampleRateHz: 48000))
        }
    }
}
