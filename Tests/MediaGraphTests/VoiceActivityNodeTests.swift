import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

/// The VAD node on espeak-ng speech whose sentence times the generator wrote down.
@Suite struct VoiceActivityNodeTests {
    static func truth() throws -> [(start: Int, end: Int)] { try TestSpeech.sentences() }

    /// Runs the speech (8 kHz, decoded from μ-law) through a lone `vad` node; returns its events.
    static func run(_ settings: VoiceActivityNode.Settings = .init()) throws -> (events: [MediaEvent], frames: Int) {
        let scope = GraphScope()
        let chain = try NodeChain(nodes: [VoiceActivityNode(scope: scope, settings: settings)], input: .pcm8k)
        let frames = try TestSpeech.frames()
        for frame in frames {
            chain.input.pointee.sampleCount = 160
            let pcm = chain.input.pointee.pcm16
            for i in 0..<160 { pcm[i] = vd_ulaw_decode_sample(frame[i]) }
            chain.run()
            #expect(chain.output.pointee.pcm16.elementsEqual(pcm), "audio passes unchanged")
        }
        var events: [MediaEvent] = []
        scope.existing(EventLane.self)!.drain { events.append($0) }
        return (events, frames.count)
    }

    @Test func framesAgreeWithTheGeneratorsTimingAndOnsetsAreFast() throws {
        let truth = try Self.truth()
        let (events, frames) = try Self.run()
        // Detected speech spans from the events.
        var spans: [(start: Int, end: Int)] = []
        var open: Int?
        for event in events {
            switch event {
            case let .speechStarted(ms): open = Int(ms)
            case let .speechStopped(ms): if let start = open { spans.append((start, Int(ms))); open = nil }
            case .bargeIn, .node: Issue.record("no barge-in or other event without a playback monitor")
            }
        }
        if let start = open { spans.append((start, frames * 20)) }
        func isSpeech(_ ms: Int, in list: [(start: Int, end: Int)]) -> Bool { list.contains { ms >= $0.start && ms < $0.end } }
        let correct = (0..<frames).filter { isSpeech($0 * 20 + 10, in: spans) == isSpeech($0 * 20 + 10, in: truth) }.count
        let accuracy = Double(correct) / Double(frames)
        let onsetErrors = truth.map { segment in spans.map { abs($0.start - segment.start) }.min() ?? .max }
        print("VAD: frame accuracy \(String(format: "%.1f", accuracy * 100)) %, onset errors \(onsetErrors) ms, \(spans.count) spans for \(truth.count) sentences")
        #expect(accuracy >= 0.95)
        #expect(onsetErrors.allSatisfy { $0 <= 100 })
        #expect(spans.count == truth.count, "one speech span per sentence (word gaps are bridged by the hangover)")
    }

    @Test func silenceRaisesNoEvents() throws {
        let scope = GraphScope()
        let chain = try NodeChain(nodes: [VoiceActivityNode(scope: scope)], input: .pcm8k)
        for _ in 0..<100 {
            chain.input.pointee.sampleCount = 160
            chain.input.pointee.pcm16.update(repeating: 0)
            chain.run()
        }
        var events: [MediaEvent] = []
        scope.existing(EventLane.self)!.drain { events.append($0) }
        #expect(events.isEmpty)
    }

    @Test func refusesFormatsWebrtcCannotTake() {
        #expect(throws: GraphBuildError.unsupportedFormat(node: "vad", input: .init(encoding: .pcm16, sampleRateHz: 24000),
                                                          expected: "pcm16 mono at 8000 or 16000 Hz")) {
            try VoiceActivityNode(scope: GraphScope()).prepare(input: .init(encoding: .pcm16, sampleRateHz: 24000))
        }
    }
}
