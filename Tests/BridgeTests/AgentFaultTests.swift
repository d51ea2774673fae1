import Bridge
import MediaGraph
import NIOCore
import Testing
import VoicedTesting

/// Agents that fail as real ones do — never answering, answering slowly, sending garbage or a
/// 20 MB message, closing mid-response, resetting TLS, stalling for 30 s — each end or recover
/// their call as docs/agents.md says (connect failures: an apology tone and the call ends,
/// `agent_failed`; a lost connection: one reconnect; bad messages: counted and ignored), while a
/// healthy call on the same daemon gets every frame back.
@Suite struct AgentFaultTests {
    /// A daemon whose default agent is `settings`' Realtime server; the built-in `echo` agent is
    /// there for the healthy call beside it.
    static func server(_ settings: RealtimeSettings) async throws -> TestServer {
        try await TestServer {
            $0.agentProfiles = ["realtime": .openai(settings)]
            $0.agent = "realtime"
            $0.call = .init()
        }
    }

    /// A healthy echo call on `server`: `seconds` of speech at real time; returns the frames that came back.
    static func healthyCall(_ server: TestServer, seconds: Int = 4) async throws -> Int {
        let frames = Array(try TestSpeech.frames().prefix(seconds * 50))
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["agent": "echo"])
        try await call.sendAudio(frames, intervalMs: 20)
        let got = try await call.wait(timeout: .seconds(30)) { $0.audio.count >= frames.count * 160 }
        await call.client.close()
        return got.audio.count / 160
    }

    /// A daemon whose default agent is the fake Realtime server `fake`.
    static func server(_ fake: FakeRealtimeServer) async throws -> TestServer {
        try await server(RealtimeSettings(url: fake.url, apiKey: "test-key"))
    }

    /// A call to the faulty agent `fake` speaking `seconds` of caller audio at real time, once the
    /// agent has its session.
    static func faultyCall(_ server: TestServer, _ fake: FakeRealtimeServer, seconds: Int = 1) async throws -> TwilioTestCall {
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio(Array(try TestSpeech.frames().prefix(seconds * 50)), intervalMs: 20)
        _ = try await fake.waitFor("session.update")
        return call
    }

    /// Hangs up, checks nothing is left, stops both servers.
    static func finish(_ call: TwilioTestCall, _ server: TestServer, _ fake: FakeRealtimeServer) async throws {
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// Connect failures end the call after an apology tone, counted, whatever the way it failed.
    @Test(arguments: [MisbehavingPeer.Behaviour.silent, .resetOnFirstBytes])
    func anAgentThatNeverAnswersOrResetsTLSEndsItsCallOnly(_ behaviour: MisbehavingPeer.Behaviour) async throws {
        let peer = try await MisbehavingPeer(behaviour)
        // A silent peer over ws:// (the upgrade is never answered); a reset one over wss:// (the
        // TLS handshake is torn down at the ClientHello).
        let scheme = behaviour == .silent ? "ws" : "wss"
        var settings = RealtimeSettings(url: "\(scheme)://127.0.0.1:\(peer.port)/v1/realtime", apiKey: "test-key")
        settings.connectTimeout = .seconds(2)
        let server = try await Self.server(settings)
        async let healthy = Self.healthyCall(server)
        let call = try await server.call()
        call.sendConnectedAndStart()
        let heard = try await call.wait(timeout: .seconds(20)) { $0.closed }
        #expect(heard.closed)
        #expect(heard.audio.count >= 8 * 400, "an apology tone before the call ends")
        #expect(try await healthy == 200, "the healthy call got every frame back")
        #expect(server.server.stats.agentFailures.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.endings.filter { $0.key.reason == .agentFailed }.values.reduce(0, +) == 1)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await peer.stop()
    }

    /// An agent that answers at half real time: its speech plays as it comes, nothing is lost.
    @Test func aSlowAgentIsPlayedAsItComes() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: .init(realtimeFactor: 2))
        let server = try await Self.server(fake)
        async let healthy = Self.healthyCall(server)
        let call = try await Self.faultyCall(server, fake)
        await fake.respond(audioMs: 1000)
        let heard = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= 8000 }
        #expect(heard.audio.count == 8000 && !heard.closed)
        #expect(try await healthy == 200)
        try await Self.finish(call, server, fake)
    }

    /// A 20 MB message (past the 16 MiB limit) closes that connection (1009); voiced reconnects once
    /// and the call goes on; memory never holds the message.
    @Test func aTwentyMegabyteMessageCostsOneReconnect() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let server = try await Self.server(fake)
        async let healthy = Self.healthyCall(server)
        let call = try await Self.faultyCall(server, fake)
        fake.send(raw: #"{"type":"response.output_audio.delta","delta":""# + String(repeating: "A", count: 20 << 20) + #""}"#)
        _ = try await fake.waitFor("session.update", count: 2, timeout: .seconds(20))
        await fake.respond(audioMs: 400)
        let heard = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= 3200 }
        #expect(heard.audio.count == 3200 && !heard.closed)
        #expect(server.server.stats.agentReconnects.load(ordering: .relaxed) == 1)
        #expect(try await healthy == 200)
        try await Self.finish(call, server, fake)
    }

    /// An agent that drops mid-response: what it sent plays, voiced reconnects once, the next
    /// response plays whole.
    @Test func anAgentThatClosesMidResponseIsReconnected() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: .init(realtimeFactor: 1))
        let server = try await Self.server(fake)
        async let healthy = Self.healthyCall(server)
        let call = try await Self.faultyCall(server, fake)
        let responding = Task { await fake.respond(audioMs: 3000) }
        _ = try await call.wait(timeout: .seconds(10)) { $0.audio.count >= 1600 }
        fake.drop()
        _ = await responding.value
        _ = try await fake.waitFor("session.update", count: 2, timeout: .seconds(10))
        let before = call.received.audio.count
        #expect(before < 24_000, "the response was cut off")
        await fake.respond(audioMs: 400)
        let heard = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= before + 3200 }
        #expect(!heard.closed)
        #expect(server.server.stats.agentReconnects.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.agentFailures.load(ordering: .relaxed) == 0)
        #expect(try await healthy == 200)
        try await Self.finish(call, server, fake)
    }

    /// An agent that reads nothing and says nothing for 30 s: the call waits (caller audio waits in
    /// the sockets' buffers; past them it would be dropped and counted), other calls go on, and
    /// when the agent wakes its answer plays.
    @Test func anAgentStalledForThirtySecondsRecovers() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let server = try await Self.server(fake)
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        fake.stall(for: .seconds(30))
        let stalledAt = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(200))
        let appendsBefore = fake.events().filter { $0.type == "input_audio_buffer.append" }.count
        let speaking = Task { try await call.sendAudio(Array(try TestSpeech.frames().prefix(1000)), intervalMs: 20) }
        #expect(try await Self.healthyCall(server, seconds: 10) == 500)
        try await speaking.value
        #expect(fake.events().filter { $0.type == "input_audio_buffer.append" }.count == appendsBefore, "the agent read nothing")
        try await Task.sleep(until: stalledAt + .seconds(31))
        #expect(!call.received.closed)
        #expect(server.server.stats.agentFailures.load(ordering: .relaxed) == 0)
        // Awake again: the caller audio that waited reaches it, and its answer plays.
        _ = try await fake.waitFor("input_audio_buffer.append", count: appendsBefore + 100)
        await fake.respond(audioMs: 400)
        let heard = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= 3200 }
        #expect(heard.audio.count == 3200 && !heard.closed)
        try await Self.finish(call, server, fake)
    }
}
