import Bridge
import Foundation
import MediaGraph
import NIOCore
import NIOWebSocket
import Testing
import VoicedTesting

/// What an attacker found (issue: a hostile caller cannot hurt other calls), each against the real
/// daemon on loopback: slow and silent connections are closed by their timeouts, a provider that
/// stops reading loses its call, audio beyond real time is dropped rather than amplified, a graph
/// is admitted only where its cost fits and stopped when it overruns, and a call cannot choose a
/// graph by writing one. Every case is counted in `/stats`.
@Suite struct HostileInputTests {
    static let shortLimits: ConnectionLimits = {
        var limits = ConnectionLimits()
        limits.requestHead = .seconds(1) // a loaded test runner may take a while to read even a prompt head
        limits.requestBody = .milliseconds(300)
        limits.idle = .milliseconds(300)
        limits.start = .milliseconds(300)
        limits.writeStall = .milliseconds(500)
        return limits
    }()

    /// A TCP connection that never speaks, a request head sent slowly, a POST whose body never
    /// comes, a kept-alive connection left idle, a bad request, and an upgraded socket that never
    /// sends `start`: each is closed, counted by kind, and no HTTP connection is left open.
    @Test func slowAndSilentConnectionsAreClosed() async throws {
        let server = try await TestServer { $0.limits = Self.shortLimits }
        let silent = try await RawSocket.connect(port: server.port)
        let slowloris = try await RawSocket.connect(port: server.port)
        slowloris.send(Array("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ".utf8))
        let noBody = try await RawSocket.connect(port: server.port)
        noBody.send(Array("POST /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n".utf8))
        let idle = try await RawSocket.connect(port: server.port)
        idle.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let garbage = try await RawSocket.connect(port: server.port)
        garbage.send(Array("NOT HTTP AT ALL\r\n\r\n".utf8))
        let noStart = try await RawSocket.upgraded(port: server.port)
        // Meanwhile a slow drip keeps the slowloris sending, never finishing its head.
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(100))
            slowloris.send(Array("a".utf8))
        }
        for (name, socket) in [("silent", silent), ("slowloris", slowloris), ("no body", noBody), ("idle", idle),
                               ("garbage", garbage), ("no start", noStart)] {
            let end = try await socket.waitForClose()
            #expect(end.closedByServer, "\(name)")
        }
        let timeouts = server.server.stats.limitClosures
        #expect(timeouts["request_head"] ?? 0 >= 2, "\(timeouts)")
        #expect(timeouts["request_body"] == 1, "\(timeouts)")
        #expect(timeouts["idle"] == 1, "\(timeouts)")
        #expect(timeouts["start"] == 1, "\(timeouts)")
        try await until { server.server.stats.httpConnectionsOpen.load(ordering: .relaxed) == 0 }
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// One address holding too many connections, or too many connections that are not calls: a
    /// new one is closed as it is accepted, counted by kind; one that closes makes room again (a
    /// call takes it), and the call never notices the refusals around it.
    @Test func connectionsArePerAddressAndPendingLimited() async throws {
        let server = try await TestServer {
            $0.limits.connectionsPerAddress = 4
            $0.limits.pendingConnections = 3
        }
        let stats = server.server.stats
        // Three idle HTTP connections: the pending limit is reached.
        var idle: [RawSocket] = []
        for _ in 0..<3 { idle.append(try await RawSocket.connect(port: server.port)) }
        try await until { stats.httpConnectionsOpen.load(ordering: .relaxed) == 3 }
        let overPending = try await RawSocket.connect(port: server.port)
        #expect(try await overPending.waitForClose().closedByServer, "a fourth connection that is not a call is closed unread")
        #expect(stats.limitClosures["pending"] == 1)

        // One closes: room for a call, which takes the address's fourth connection.
        await idle.removeLast().close()
        try await until { stats.httpConnectionsOpen.load(ordering: .relaxed) == 2 }
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await until { server.server.registry.count == 1 }
        try await until { stats.httpConnectionsOpen.load(ordering: .relaxed) == 2 }
        // Two idle and the call: a third idle one is the address's fourth.
        idle.append(try await RawSocket.connect(port: server.port))
        try await until { stats.httpConnectionsOpen.load(ordering: .relaxed) == 3 }
        let overAddress = try await RawSocket.connect(port: server.port)
        #expect(try await overAddress.waitForClose().closedByServer, "a fifth connection from 127.0.0.1 is closed unread")
        #expect(stats.limitClosures["per_address"] == 1)

        // The call is untouched; when it ends, its address has room again.
        try await call.sendAudio(Array(try TestSpeech.frames().prefix(10)))
        _ = try await call.wait { $0.audio.count >= 10 * 160 }
        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        for socket in idle { await socket.close() }
        try await until { stats.httpConnectionsOpen.load(ordering: .relaxed) == 0 }
        let again = try await RawSocket.request(port: server.port, path: "/health")
        #expect(again.status == 200, "room again once they closed")
        #expect(stats.limitClosures == ["pending": 1, "per_address": 1])
        try await server.stop()
    }

    /// A provider that stops reading: the echo fills its socket, writes make no progress, and after
    /// the write-stall limit the call ends and the socket is closed; a healthy call goes on.
    @Test func aProviderThatStopsReadingLosesItsCall() async throws {
        let server = try await TestServer { $0.limits.writeStall = Self.shortLimits.writeStall }
        let healthy = try await server.call()
        healthy.sendConnectedAndStart()
        let stuck = try await RawSocket.upgraded(port: server.port)
        let messages = TwilioMessages.random()
        stuck.send(RawSocket.text(messages.start()))
        try await until { server.server.registry.count == 2 }
        try await stuck.stopReading()
        // 1 s of audio per message, echoed back as fifty 20 ms messages: megabytes within seconds
        // (a message at a time, so the call's 64-frame provider-in ring never overflows).
        let second = TwilioMessages.base64([UInt8](repeating: 0x55, count: 8000))
        for i in 0..<1000 where !stuck.isClosed {
            stuck.send(RawSocket.text(messages.media(sequence: i + 2, chunk: i + 1, timestampMs: i * 1000, base64Payload: second)))
            try await Task.sleep(for: .milliseconds(5))
        }
        try await until { server.server.stats.limitClosures["write_stall"] == 1 }
        try await until { server.server.registry.count == 1 }
        let speech = Array(try TestSpeech.frames().prefix(50))
        try await healthy.sendAudio(speech, intervalMs: 2)
        let got = try await healthy.wait { $0.audio.count >= 50 * 160 }
        #expect(got.audio == TestSpeech.echoed(speech) && !got.closed)
        await healthy.client.close()
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// 10 s of audio sent in one burst is cut to the burst allowance plus the time that passed, and
    /// timestamps that jump 10 s ahead per message insert no more silence than real time allows.
    @Test func audioBeyondRealTimeIsDroppedNotAmplified() async throws {
        let server = try await TestServer { $0.limits = ConnectionLimits() } // 1 s burst allowance
        let flood = try await server.call()
        flood.sendConnectedAndStart()
        let started = ContinuousClock.now
        let frame = TwilioMessages.base64([UInt8](repeating: 0xFF, count: 160))
        for i in 0..<500 {
            flood.client.send(text: flood.messages.media(sequence: i + 3, chunk: i + 1, timestampMs: i * 20, base64Payload: frame))
        }
        try await until { server.server.stats.framesOverRealTime.load(ordering: .relaxed)
            + server.server.stats.framesIn.load(ordering: .relaxed) >= 500 }
        let elapsedMs = Int((ContinuousClock.now - started) / .milliseconds(1))
        let admitted = Int(server.server.stats.framesIn.load(ordering: .relaxed))
        #expect(admitted >= 50 && admitted <= 50 + elapsedMs / 20 + 1, "admitted \(admitted) in \(elapsedMs) ms")

        let jumper = try await server.call()
        jumper.sendConnectedAndStart()
        let jumpStart = ContinuousClock.now
        for i in 0..<250 {
            jumper.client.send(text: jumper.messages.media(sequence: i + 3, chunk: i + 1, timestampMs: i * 10_000, base64Payload: frame))
        }
        try await until { server.server.stats.silenceFramesRefused.load(ordering: .relaxed) > 0
            && server.server.stats.framesIn.load(ordering: .relaxed) + server.server.stats.framesOverRealTime.load(ordering: .relaxed) >= 750 }
        try await Task.sleep(for: .milliseconds(100))
        let jumpMs = Int((ContinuousClock.now - jumpStart) / .milliseconds(1))
        let silence = Int(server.server.stats.silenceFramesInserted.load(ordering: .relaxed))
        // Unguarded, 250 such messages made 124,751 frames.
        #expect(silence <= 50 + jumpMs / 20 + 1, "silence frames \(silence) in \(jumpMs) ms")
        await flood.client.close()
        await jumper.client.close()
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// With a budget for two `standard` calls on the only media thread, a third is refused with
    /// 1013 (counted) while a cheap `passthrough` call still fits; when a call ends its cost leaves.
    @Test func graphsAreAdmittedByCost() async throws {
        let standard = try Graph(spec: .standard, providerFormat: .telephonyMuLaw).instructionsPerFrame
        let server = try await TestServer {
            $0.mediaThreads = 1
            $0.mediaThread.instructionBudget = standard * 2 + standard / 2
        }
        var calls: [TwilioTestCall] = []
        for _ in 0..<2 {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: ["graph": "standard"])
            calls.append(call)
        }
        try await until { server.server.registry.count == 2 }
        let refused = try await server.call()
        refused.sendConnectedAndStart(parameters: ["graph": "standard"])
        let got = try await refused.wait { $0.closed }
        #expect(got.closeCode == WebSocketErrorCode(codeNumber: 1013))
        #expect(server.server.stats.refusals == ["over_budget": 1])
        let cheap = try await server.call()
        cheap.sendConnectedAndStart(parameters: ["graph": "passthrough"])
        try await until { server.server.registry.count == 3 }
        await calls[0].client.close()
        try await until { server.server.registry.count == 2 }
        let again = try await server.call()
        again.sendConnectedAndStart(parameters: ["graph": "standard"])
        try await until { server.server.registry.count == 3 }
        for call in calls + [cheap, again] { await call.client.close() }
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// A configured graph several times heavier than its per-frame time budget (two `best`
    /// conversions to and from 48 kHz: about 2.5 ms a frame against 0.5 ms) is stopped by the
    /// watchdog and its call ended (counted); a `passthrough` call on the same media thread is
    /// untouched, and served between the heavy call's slices while it runs.
    @Test func aGraphOverItsFrameBudgetIsStopped() async throws {
        let heavy = "mulaw-decode, resample(rate=48000, quality=best), resample(rate=8000, quality=best); mulaw-encode"
        let server = try await TestServer {
            $0.mediaThreads = 1
            $0.call.frameBudget = .microseconds(500)
            $0.graphs = ["heavy": try! GraphSpec(name: "heavy", parsing: heavy)]
        }
        let healthy = try await server.call()
        healthy.sendConnectedAndStart()
        let hog = try await server.call()
        hog.sendConnectedAndStart(parameters: ["graph": "heavy"])
        let speech = Array(try TestSpeech.frames().prefix(150))
        async let hogSent: Void = hog.sendAudio(speech, intervalMs: 20)
        try await healthy.sendAudio(speech, intervalMs: 20)
        _ = try? await hogSent
        let ended = try await hog.wait { $0.closed }
        #expect(ended.closed)
        #expect(server.server.stats.callsOverBudget.load(ordering: .relaxed) == 1)
        let got = try await healthy.wait { $0.audio.count >= 150 * 160 }
        // Complete and in order: not one of the healthy call's frames was dropped. (The heavy call's
        // own frames may be: once stopped, its rings are no longer read until it is ended.)
        #expect(got.audio == TestSpeech.echoed(speech) && !got.closed, "\(got.audio.count) bytes back, closed: \(got.closed)")
        await healthy.client.close()
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// A digit that is not one keypad key is rejected (it was logged raw: a `\n` forged a log line),
    /// and a `media` message carrying a second `"event":"stop"` is rejected instead of ending the call.
    @Test func forgedDigitsAndDuplicateKeysAreRejected() async throws {
        let server = try await TestServer()
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await until { server.server.registry.count == 1 }
        call.client.send(text: call.messages.dtmf(sequence: 3, digit: "1\\n2024-11-27T00:00:00 critical forged"))
        call.client.send(text: call.messages.dtmf(sequence: 4, digit: String(repeating: "9", count: 60_000)))
        call.client.send(text: call.messages.dtmf(sequence: 5, digit: "#"))
        let frame = TwilioMessages.base64([UInt8](repeating: 0xFF, count: 160))
        let media = call.messages.media(sequence: 6, chunk: 1, timestampMs: 0, base64Payload: frame)
        call.client.send(text: String(media.dropLast()) + #","event":"stop"}"#)
        try await until { server.server.stats.messagesRejected.load(ordering: .relaxed) == 3 }
        #expect(server.server.stats.rejections == ["bad_dtmf": 2, "malformed_json": 1])
        #expect(server.server.stats.dtmfDigits.load(ordering: .relaxed) == 1)
        #expect(server.server.registry.count == 1, "the call goes on")
        await call.client.close()
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }
}
