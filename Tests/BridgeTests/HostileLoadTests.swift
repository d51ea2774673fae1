import Bridge
import CAudio
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// The attacker's run replayed as a regression test: 20 healthy echo calls measure their round trip
/// through the daemon, first alone, then while every attack the issue found runs beside them —
/// graphs written into the call, expensive graphs beyond the budget, 10 s timestamp jumps, a flood
/// at 100× real time, forged and huge DTMF digits, 60 KB parameters, framing violations, idle and
/// slow connections. The healthy calls' RTT p99 under attack must stay within 2× of the quiet run,
/// with no frame lost, and the daemon must come back to no call and no connection.
///
/// Timing on a shared 2-core machine is noisy, so the suite runs only when asked
/// (`VOICED_LOAD_TESTS=1`; scripts/test runs it on its own after the main suite), a p99 under
/// 15 ms counts as 15 ms (the debug build's quiet p99 is 5–6 ms on an idle machine; below 15 ms a
/// difference is scheduling noise, not starvation: the findings were 8.7 s and 26×), and a pair of
/// runs that misses the ratio is tried again, up to three times.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VOICED_LOAD_TESTS"] != nil), .serialized)
struct HostileLoadTests {
    static let healthyCalls = 20
    static let seconds = 6.0
    static let floorMs = 15.0

    @Test func healthyCallsKeepTheirLatencyWhileAttacked() async throws {
        let wideband = try Graph(spec: .wideband, providerFormat: .telephonyMuLaw).instructionsPerFrame
        let server = try await TestServer {
            $0.call = CallPipeline.Configuration() // paced, as in production
            $0.limits = ConnectionLimits()
            $0.limits.requestHead = .seconds(2)
            $0.limits.start = .seconds(2)
            // Room for the healthy calls (passthrough: no node) and one `wideband` call per thread;
            // the attacker's other wideband calls are refused.
            $0.mediaThread.instructionBudget = wideband + wideband / 2
            $0.heapTrimInterval = .seconds(1)
        }
        // A quiet run, then one under attack; again if the ratio fails, since a neighbour's burst on
        // a shared machine can spoil one run, while starvation (the finding) spoils every one.
        var runs: [String] = []
        var withinRatio = false
        var framesLost: UInt64 = 0
        var refusedGraphs = 0
        var residentBefore = 0
        for _ in 1...3 where !withinRatio {
            let quiet = try await healthyRun(server)
            try await Task.sleep(for: .seconds(2)) // a trim after the quiet run's calls ended
            residentBefore = vd_resident_kib()
            let attack = Task { try await Attacks(server: server).run(for: .seconds(Self.seconds + 2)) }
            try await Task.sleep(for: .milliseconds(500))
            let attacked = try await healthyRun(server)
            refusedGraphs += try await attack.value.refusedGraphs
            withinRatio = attacked.rttP99Ms <= 2 * max(quiet.rttP99Ms, Self.floorMs)
            framesLost += quiet.framesLost + attacked.framesLost
            runs.append("RTT p99 quiet \(quiet.rttP99Ms) ms, under attack \(attacked.rttP99Ms) ms")
        }
        #expect(withinRatio, "\(runs)")
        #expect(framesLost == 0)
        let stats = server.server.stats
        #expect(refusedGraphs > 0 && stats.rejections["bad_graph", default: 0] == UInt64(refusedGraphs))
        #expect(stats.refusals["over_budget", default: 0] > 0, "expensive graphs beyond the budget are refused")
        #expect(stats.framesOverRealTime.load(ordering: .relaxed) > 0)
        #expect(stats.readPauses.load(ordering: .relaxed) > 0 && stats.limitClosures["message_flood", default: 0] >= 1, "the flood is read slowly, then closed")
        #expect(stats.silenceFramesRefused.load(ordering: .relaxed) > 0)
        // Unguarded, the jumper's ~400 messages a run would insert 200,000 frames; guarded, it gets
        // no more than real time (its run, plus the burst allowance, in 20 ms frames).
        let realTimeFrames = runs.count * Int(Self.seconds + 3) * 50
        #expect(stats.silenceFramesInserted.load(ordering: .relaxed) <= UInt64(realTimeFrames))
        #expect(stats.rejections["bad_dtmf", default: 0] > 0)
        #expect(stats.rejections["ws_unmasked", default: 0] > 0)
        #expect(stats.limitClosures["request_head", default: 0] > 0 && stats.limitClosures["start", default: 0] > 0)
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await until { server.server.stats.httpConnectionsOpen.load(ordering: .relaxed) == 0 }
        // Memory comes back: the attack's calls and buffers were freed, and the heap handed back.
        let trims = server.server.stats.heapTrims.load(ordering: .relaxed)
        try await until { server.server.stats.heapTrims.load(ordering: .relaxed) > trims }
        let residentAfter = vd_resident_kib()
        #expect(residentAfter <= residentBefore + 8 * 1024, "RSS \(residentBefore / 1024) MB before the attack, \(residentAfter / 1024) MB after")
        try await server.stop()
    }

    private func healthyRun(_ server: TestServer) async throws -> LoadGenerator.Report {
        var configuration = LoadGenerator.Configuration()
        configuration.port = server.port
        configuration.calls = Self.healthyCalls
        configuration.seconds = Self.seconds
        configuration.rampSeconds = 0.5
        configuration.frames = try TestSpeech.frames()
        return try await LoadGenerator(configuration: configuration).run()
    }
}

/// Everything the issue's attacker did, at once, until the deadline. Counts what it was refused.
private struct Attacks {
    let server: TestServer

    struct Outcome {
        var refusedGraphs = 0
    }

    func run(for duration: Duration) async throws -> Outcome {
        let deadline = ContinuousClock.now + duration
        return try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { try await writtenGraphs(until: deadline) }
            group.addTask { try await expensiveGraphs(until: deadline) }
            group.addTask { try await timestampJumps(until: deadline) }
            group.addTask { try await flood(until: deadline) }
            group.addTask { try await logInjection(until: deadline) }
            group.addTask { try await framingViolations(until: deadline) }
            group.addTask { try await idleConnections(until: deadline) }
            var outcome = Outcome()
            outcome.refusedGraphs = try await group.reduce(0, +)
            return outcome
        }
    }

    /// Calls that write out a spec of 30 resampler pairs at `best` (it pinned a media thread):
    /// each is refused at `start`. Returns how many.
    private func writtenGraphs(until deadline: ContinuousClock.Instant) async throws -> Int {
        let pair = "resample(rate=48000, quality=best), resample(rate=8000, quality=best)"
        let spec = "mulaw-decode, " + Array(repeating: pair, count: 30).joined(separator: ", ") + "; mulaw-encode"
        var refused = 0
        while ContinuousClock.now < deadline {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: ["graph": spec])
            _ = try await call.wait { $0.closed }
            refused += 1
            try await Task.sleep(for: .milliseconds(200))
        }
        return refused
    }

    /// `wideband` calls (the finding: fifty of them raised others' p99 26×) that stream speech:
    /// the budget admits a few, the rest are refused with 1013.
    private func expensiveGraphs(until deadline: ContinuousClock.Instant) async throws -> Int {
        var calls: [TwilioTestCall] = []
        for _ in 0..<50 {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: ["graph": "wideband"])
            calls.append(call)
        }
        let speech = Array(try TestSpeech.frames().prefix(50))
        try await until { calls.allSatisfy { $0.received.closed } || server.server.stats.refusals["over_budget", default: 0] > 0 }
        var chunk = 1
        while ContinuousClock.now < deadline {
            let started = ContinuousClock.now
            for call in calls where !call.received.closed {
                for (j, frame) in speech.prefix(5).enumerated() {
                    call.client.send(text: call.messages.media(sequence: call.nextSequence(), chunk: chunk + j,
                                                               timestampMs: (chunk + j - 1) * 20, base64Payload: TwilioMessages.base64(frame)))
                }
            }
            chunk += 5
            try await Task.sleep(until: started + .milliseconds(100))
        }
        for call in calls { await call.client.close() }
        return 0
    }

    /// Sends `burst` (whole frames, built once: the attacker's own CPU stays out of the figures)
    /// every `interval` on a call started with `parameters`, until the deadline.
    private func replay(_ burst: [UInt8], every interval: Duration, parameters: [String: String] = [:],
                        until deadline: ContinuousClock.Instant) async throws {
        let socket = try await RawSocket.upgraded(port: server.port)
        socket.send(RawSocket.text(messages.start(parameters: parameters)))
        while ContinuousClock.now < deadline, !socket.isClosed {
            let started = ContinuousClock.now
            socket.send(burst)
            try await Task.sleep(until: started + interval)
        }
        socket.send(RawSocket.frame(.fin | .close, RawSocket.closePayload(1000)))
        _ = try await socket.waitForClose()
    }

    private let messages = TwilioMessages.random()
    private static let silentFrame = TwilioMessages.base64([UInt8](repeating: 0xFF, count: 160))

    /// One call whose every `media` claims a timestamp 10 s after the last, 50 a second (250 such
    /// messages made 124,751 frames).
    private func timestampJumps(until deadline: ContinuousClock.Instant) async throws -> Int {
        let burst = (0..<50).flatMap { i in
            RawSocket.text(messages.media(sequence: i + 2, chunk: i + 1, timestampMs: i * 10_000, base64Payload: Self.silentFrame))
        }
        try await replay(burst, every: .seconds(1), until: deadline)
        return 0
    }

    /// One call sending media at 100× real time: 100 frames every 20 ms.
    private func flood(until deadline: ContinuousClock.Instant) async throws -> Int {
        let burst = (0..<100).flatMap { i in
            RawSocket.text(messages.media(sequence: i + 2, chunk: i + 1, timestampMs: i * 20, base64Payload: Self.silentFrame))
        }
        try await replay(burst, every: .milliseconds(20), until: deadline)
        return 0
    }

    /// A call with 60 KB of custom parameters, sending digits that forge log lines and digits of
    /// 60,000 characters, a few a second.
    private func logInjection(until deadline: ContinuousClock.Instant) async throws -> Int {
        let big = String(repeating: "9", count: 60_000)
        let burst = RawSocket.text(messages.dtmf(sequence: 2, digit: "1\n2026-11-27T00:00:00 critical forged"))
            + RawSocket.text(messages.dtmf(sequence: 3, digit: String(big.prefix(60_000))))
        try await replay(burst, every: .milliseconds(500), parameters: ["note": String(big.prefix(60_000))], until: deadline)
        return 0
    }

    /// Unmasked frames and reserved opcodes on fresh connections.
    private func framingViolations(until deadline: ContinuousClock.Instant) async throws -> Int {
        while ContinuousClock.now < deadline {
            let socket = try await RawSocket.upgraded(port: server.port)
            socket.send(RawSocket.frame(.fin | .text, Array(#"{"event":"connected"}"#.utf8), masked: false))
            _ = try await socket.waitForClose()
            let reserved = try await RawSocket.upgraded(port: server.port)
            reserved.send(RawSocket.frame(.fin | 0x3, [1, 2, 3]))
            _ = try await reserved.waitForClose()
            try await Task.sleep(for: .milliseconds(100))
        }
        return 0
    }

    /// Connections that never speak, slowloris heads, and upgraded sockets that never send `start`:
    /// closed by their timeouts (2 s here).
    private func idleConnections(until deadline: ContinuousClock.Instant) async throws -> Int {
        var silent: [RawSocket] = [], slow: [RawSocket] = []
        for _ in 0..<40 { silent.append(try await RawSocket.connect(port: server.port)) }
        for _ in 0..<20 {
            let socket = try await RawSocket.connect(port: server.port)
            socket.send(Array("GET /stats HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8))
            slow.append(socket)
        }
        for _ in 0..<20 { silent.append(try await RawSocket.upgraded(port: server.port)) }
        while ContinuousClock.now < deadline {
            for socket in slow where !socket.isClosed { socket.send(Array("a".utf8)) }
            try await Task.sleep(for: .milliseconds(500))
        }
        for socket in silent + slow { _ = try await socket.waitForClose() }
        return 0
    }
}
