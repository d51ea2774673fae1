import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

/// Barge-in on the echo setup of the issue: the agent's speech comes back 80 ms later at −6 dB in
/// the caller's microphone; sometimes the caller interrupts.
@Suite struct BargeInTests {
    /// Runs far end (agent) and near end (microphone) at `rateHz` through uplink
    /// `apm → vad → barge-in` and downlink `echo-reference → playback-monitor`, 20 ms at a time.
    static func run(far: [Int16], near: [Int16], rateHz: Int, bargeIn: String = "barge-in") throws -> [MediaEvent] {
        let scope = GraphScope()
        let format = AudioFormat(encoding: .pcm16, sampleRateHz: rateHz)
        let frame = rateHz / 50
        let uplink = try NodeChain(nodes: [AudioProcessingNode(scope: scope), VoiceActivityNode(scope: scope),
                                           NodeCatalog.builtIn.make(NodeSpec(parsing: bargeIn), scope: scope, providerRateHz: rateHz, agentRateHz: rateHz)],
                                   input: format)
        let downlink = try NodeChain(nodes: [EchoReferenceNode(scope: scope), PlaybackMonitorNode(scope: scope)], input: format)
        var events: [MediaEvent] = []
        for at in stride(from: 0, to: min(far.count, near.count) - frame, by: frame) {
            for (chain, source) in [(downlink, far), (uplink, near)] {
                chain.input.pointee.sampleCount = frame
                let pcm = chain.input.pointee.pcm16
                for i in 0..<frame { pcm[i] = source[at + i] }
                chain.run()
            }
            scope.existing(EventLane.self)!.drain { events.append($0) }
        }
        return events
    }

    static func echo(of far: [Int16], rateHz: Int) -> [Int16] {
        let delay = 80 * rateHz / 1000
        return (0..<far.count).map { i in i < delay ? 0 : Int16(Double(far[i - delay]) * 0.5) }
    }

    @Test(arguments: [8000, 16000]) func theAgentsOwnEchoRaisesNoBargeIn(rateHz: Int) throws {
        let far = try AudioProcessingTests.speech(rateHz: rateHz)
        let events = try Self.run(far: far, near: Self.echo(of: far, rateHz: rateHz), rateHz: rateHz)
        let bargeIns = events.filter { if case .bargeIn = $0 { true } else { false } }
        print("echo only at \(rateHz) Hz: \(events.count) events, \(bargeIns.count) barge-ins")
        #expect(bargeIns.isEmpty)
    }

    /// The agent stays silent for the first 3 s, then speaks: its echo must not interrupt it, however
    /// late the canceller starts learning.
    @Test func anAgentThatSpeaksLateIsNotInterruptedByItsEcho() throws {
        let speech = try AudioProcessingTests.speech(rateHz: 8000)
        let far = [Int16](repeating: 0, count: 3 * 8000) + speech
        let events = try Self.run(far: far, near: Self.echo(of: far, rateHz: 8000), rateHz: 8000)
        #expect(!events.contains { if case .bargeIn = $0 { true } else { false } }, "\(events)")
    }

    /// The caller starts the first sentence 5.0 s into the call, while the agent speaks its second.
    static func interruption(rateHz: Int, bargeIn: String = "barge-in") throws -> (atMs: UInt64, bargeIns: [UInt64]) {
        let far = try AudioProcessingTests.speech(rateHz: rateHz)
        let truth = try VoiceActivityNodeTests.truth()
        let interruptionMs = 5000
        let perMs = rateHz / 1000
        let callerStart = truth[0].start * perMs // the first sentence's first sample
        let length = (truth[0].end - truth[0].start) * perMs
        var near = Self.echo(of: far, rateHz: rateHz)
        for i in 0..<length where interruptionMs * perMs + i < near.count {
            near[interruptionMs * perMs + i] = Int16(clamping: Int(near[interruptionMs * perMs + i]) + Int(far[callerStart + i]))
        }
        let events = try Self.run(far: far, near: near, rateHz: rateHz, bargeIn: bargeIn)
        return (UInt64(interruptionMs), events.compactMap { if case let .bargeIn(ms) = $0 { ms } else { nil } })
    }

    @Test(arguments: [8000, 16000]) func aRealInterruptionIsDetectedWithin200ms(rateHz: Int) throws {
        let (interruptionMs, bargeIns) = try Self.interruption(rateHz: rateHz)
        print("interruption at \(interruptionMs) ms (\(rateHz) Hz): barge-ins at \(bargeIns) ms")
        #expect(bargeIns.allSatisfy { $0 + 20 >= interruptionMs }, "nothing before the caller speaks")
        #expect(bargeIns.first.map { $0 <= interruptionMs + 200 } == true, "the interruption is caught within 200 ms")
    }

    /// An energy floor above the caller's level keeps the same interruption from counting; one below lets it.
    @Test func theEnergyFloorFiltersQuietSpeech() throws {
        #expect(try Self.interruption(rateHz: 8000, bargeIn: "barge-in(floor-dbfs=-1)").bargeIns.isEmpty)
        let unfiltered = try Self.interruption(rateHz: 8000).bargeIns
        #expect(!unfiltered.isEmpty)
        #expect(try Self.interruption(rateHz: 8000, bargeIn: "barge-in(floor-dbfs=-45)").bargeIns == unfiltered)
    }

    @Test func bargeInNeedsAVadUpstream() {
        #expect(throws: GraphBuildError.missingDependency(node: "barge-in", needs: "a 'vad' node (or another VAD) before it on the uplink")) {
            try BargeInNode(scope: GraphScope()).prepare(input: .pcm8k)
        }
    }
}
