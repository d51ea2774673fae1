import CAudio
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// Barge-in on the echo setup of the issue: the agent's speech comes back 80 ms later at −6 dB in
/// the caller's microphone; sometimes the caller interrupts.
@Suite struct BargeInTests {
    /// Runs 16 kHz far end (agent) and near end (microphone) through
    /// uplink `apm → vad → barge-in` and downlink `echo-reference → playback-monitor`, 20 ms at a time.
    static func run(far: [Int16], near: [Int16]) throws -> [MediaEvent] {
        let scope = GraphScope()
        let uplink = try NodeChain(nodes: [AudioProcessingNode(scope: scope, settings: .standard), VoiceActivityNode(scope: scope),
                                           BargeInNode(scope: scope)], input: .init(encoding: .pcm16, sampleRateHz: 16000))
        let downlink = try NodeChain(nodes: [EchoReferenceNode(scope: scope), PlaybackMonitorNode(scope: scope)],
                                     input: .init(encoding: .pcm16, sampleRateHz: 16000))
        var events: [MediaEvent] = []
        for at in stride(from: 0, to: min(far.count, near.count) - 320, by: 320) {
            for (chain, source) in [(downlink, far), (uplink, near)] {
                chain.input.pointee.sampleCount = 320
                let pcm = chain.input.pointee.pcm16
                for i in 0..<320 { pcm[i] = source[at + i] }
                chain.run()
            }
            scope.existing(CallEvents.self)!.drain { events.append($0) }
        }
        return events
    }

    static func speech16k() throws -> [Int16] { try AudioProcessingTests.speech16k() }

    static func echo(of far: [Int16]) -> [Int16] {
        (0..<far.count).map { i in i < 1280 ? 0 : Int16(Double(far[i - 1280]) * 0.5) }
    }

    @Test func theAgentsOwnEchoRaisesNoBargeIn() throws {
        let far = try Self.speech16k()
        let events = try Self.run(far: far, near: Self.echo(of: far))
        let bargeIns = events.filter { if case .bargeIn = $0 { true } else { false } }
        print("echo only: \(events.count) events, \(bargeIns.count) barge-ins")
        #expect(bargeIns.isEmpty)
    }

    @Test func aRealInterruptionIsDetectedWithin200ms() throws {
        let far = try Self.speech16k()
        let truth = try VoiceActivityNodeTests.truth()
        // The caller starts the first sentence 5.0 s into the call, while the agent speaks its second.
        let interruptionMs = 5000
        let callerStart = truth[0].start * 16 // the first sentence's first sample at 16 kHz
        let length = (truth[0].end - truth[0].start) * 16
        var near = Self.echo(of: far)
        for i in 0..<length where interruptionMs * 16 + i < near.count {
            near[interruptionMs * 16 + i] = Int16(clamping: Int(near[interruptionMs * 16 + i]) + Int(far[callerStart + i]))
        }
        let events = try Self.run(far: far, near: near)
        let bargeIns: [UInt64] = events.compactMap { if case let .bargeIn(ms) = $0 { ms } else { nil } }
        print("interruption at \(interruptionMs) ms: barge-ins at \(bargeIns) ms")
        #expect(bargeIns.allSatisfy { $0 + 20 >= UInt64(interruptionMs) }, "nothing before the caller speaks")
        #expect(bargeIns.first.map { $0 <= UInt64(interruptionMs) + 200 } == true, "the interruption is caught within 200 ms")
    }

    @Test func bargeInNeedsAVadUpstream() {
        #expect(throws: GraphBuildError.unsupportedFormat(node: "barge-in", input: .pcm8k, expected: "a 'vad' node before it on the uplink")) {
            try BargeInNode(scope: GraphScope()).prepare(input: .pcm8k)
        }
    }
}
