import Bridge
import Dispatch
import MediaGraph
import Testing
import VoicedTesting

/// The `openai` connector on the live daemon against a local Realtime server speaking the GA and
/// Voice Live dialects as documented (docs/agents.md), with a fake Twilio call playing and
/// returning marks in real time.
@Suite struct RealtimeAgentTests {
    /// A daemon whose default agent is the fake Realtime server at `fake`, with real pacing.
    static func server(_ fake: FakeRealtimeServer, dialect: RealtimeSettings.Dialect = .ga, audio: RealtimeSettings.Audio = .mulaw,
                       graph: GraphSpec = .passthrough, adjust: (inout RealtimeSettings) -> Void = { _ in }) async throws -> TestServer {
        var settings = RealtimeSettings(dialect: dialect, url: fake.url, apiKey: "test-key")
        settings.audio = audio
        adjust(&settings)
        return try await TestServer {
            $0.agentProfiles = ["realtime": .openai(settings)]
            $0.agent = "realtime"
            $0.graph = graph
            $0.call = .init()
        }
    }

    /// `ms` of caller speech, 20 ms μ-law frames.
    static func speech(ms: Int) throws -> [[UInt8]] { Array(try TestSpeech.frames().prefix(ms / 20)) }

    /// Decoded bytes of every `input_audio_buffer.append` the fake received.
    static func appended(_ fake: FakeRealtimeServer) -> [UInt8] {
        fake.events().filter { $0.type == "input_audio_buffer.append" }.flatMap { event in
            let text = Array((event.field("audio") as? String ?? "").utf8)
            var out = [UInt8](repeating: 0, count: Base64.maxDecodedCount(text.count))
            let n = text.withUnsafeBytes { raw in out.withUnsafeMutableBytes { Base64.decode(raw, into: $0) } } ?? 0
            return Array(out[0..<n])
        }
    }

    @Test(arguments: [RealtimeSettings.Dialect.ga, .voiceLive])
    func aFullTurnBothWays(dialect: RealtimeSettings.Dialect) async throws {
        let fake = try await FakeRealtimeServer(dialect: dialect == .ga ? .ga : .voiceLive)
        let server = try await Self.server(fake, dialect: dialect)
        let call = try await server.call()
        call.sendConnectedAndStart()
        let update = try await fake.waitFor("session.update")[0]
        if dialect == .ga {
            #expect(update.field("session", "type") as? String == "realtime")
            #expect(update.field("session", "audio", "input", "format", "type") as? String == "audio/pcmu")
            #expect(update.field("session", "audio", "output", "format", "type") as? String == "audio/pcmu")
        } else {
            #expect(update.field("session", "input_audio_format") as? String == "g711_ulaw")
            #expect(update.field("session", "input_audio_echo_cancellation") == nil, "voiced cancels echo itself")
        }

        // Caller audio reaches the agent byte for byte (μ-law passes through), 20 ms per append.
        let words = try Self.speech(ms: 1000)
        try await call.sendAudio(words)
        _ = try await fake.waitFor("input_audio_buffer.append", count: 50)
        #expect(Self.appended(fake) == words.flatMap { $0 })

        // The agent's reply is played whole, followed by marks.
        await fake.respond(audioMs: 1000)
        let heard = try await call.wait { $0.audio.count >= 8000 && $0.playedBytes >= 8000 }
        #expect(heard.audio.count == 8000, "1,000 ms of reply, nothing lost or added")
        #expect(heard.marks > 0)
        #expect(heard.clears.isEmpty)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        for _ in 0..<200 where fake.openConnections > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(fake.openConnections == 0, "the agent socket closed with the call")
        try await server.stop()
        try await fake.stop()
    }

    /// The exact barge-in: one `clear`, the marks it returns ignored, `response.cancel` (the server
    /// does not cancel by itself here), late deltas of the cancelled response dropped, and the item
    /// truncated at what was played.
    @Test func anInterruptionCancelsAndTruncatesAtWhatWasPlayed() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.interruptResponse = false
        behaviour.lateDeltasAfterCancel = 3
        behaviour.realtimeFactor = 1
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let server = try await Self.server(fake) { $0.turnDetection.interruptResponse = false }
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        let reply = Task { await fake.respond(audioMs: 3000) }
        var heard = try await call.wait { $0.playedBytes >= 8 * 1000 }
        fake.speechStarted()
        heard = try await call.wait { !$0.clears.isEmpty }
        try #require(heard.clears.count == 1)
        let playedAtClearMs = heard.playedBytes / 8
        let cancel = try await fake.waitFor("response.cancel")
        #expect(cancel.count == 1)
        let truncate = try await fake.waitFor("conversation.item.truncate")[0]
        let endMs = truncate.field("audio_end_ms") as? Int ?? -1
        // The last returned mark lags the playout by at most a message (20 ms) and a playback tick;
        // voiced adds its 50 ms slack and never goes past what it sent.
        #expect(endMs >= playedAtClearMs && endMs <= playedAtClearMs + 80, "truncated at \(endMs) ms, played \(playedAtClearMs) ms")
        #expect(endMs <= heard.audio.count / 8, "never past what was sent")

        // Nothing more of the cancelled reply reaches the caller, late deltas included.
        try await Task.sleep(for: .milliseconds(500))
        heard = call.received
        #expect(heard.audio.count == heard.clears[0].audioBytes, "no stale audio after the clear")
        // The fake's 3 late deltas, and on a loaded machine one more that was in flight when the
        // cancel went out: all dropped.
        #expect(server.server.stats.agentLateAudioDropped.load(ordering: .relaxed) >= 3)
        #expect(fake.events().filter { $0.type == "conversation.item.truncate" }.count == 1)
        #expect(await reply.value?.status == "cancelled")

        // The next reply plays normally.
        await fake.respond(audioMs: 400)
        heard = try await call.wait { $0.audio.count >= heard.clears[0].audioBytes + 3200 }
        #expect(heard.audio.count == heard.clears[0].audioBytes + 3200)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// With server VAD cancelling by itself, voiced does not send `response.cancel` but still
    /// truncates (the server cannot know what was played).
    @Test func theServerCancelsItselfAndVoicedStillTruncates() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.realtimeFactor = 1
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let server = try await Self.server(fake)
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        let reply = Task { await fake.respond(audioMs: 2000) }
        _ = try await call.wait { $0.playedBytes >= 8 * 500 }
        fake.speechStarted()
        _ = try await call.wait { !$0.clears.isEmpty }
        _ = try await fake.waitFor("conversation.item.truncate")
        try await Task.sleep(for: .milliseconds(200))
        #expect(fake.events().filter { $0.type == "response.cancel" }.isEmpty)
        #expect(await reply.value?.status == "cancelled", "the server cancelled by itself")
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// A 30 s reply sent as one burst: agent-in fills, the agent's socket is paused, and every
    /// byte reaches the caller at real time — none dropped, memory bounded by the ring.
    @Test func aThirtySecondBurstIsDeliveredWhole() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.chunkMs = 200
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let server = try await Self.server(fake)
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        await fake.respond(audioMs: 30_000)
        let heard = try await call.wait(timeout: .seconds(45)) { $0.audio.count >= 240_000 }
        #expect(heard.audio.count == 240_000)
        #expect(server.server.stats.framesDropped.load(ordering: .relaxed) == 0)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// Errors, garbage and unknown events are counted and ignored; the session goes on.
    @Test func errorsAndGarbageKeepTheSession() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let server = try await Self.server(fake)
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        fake.sendError(code: "invalid_value", message: "something recoverable")
        fake.send(raw: "not json at all")
        fake.send(raw: #"{"type":"response.brand_new_event"}"#)
        fake.send(raw: #"{"type":"response.output_audio.delta","response_id":"r","item_id":"i","delta":"***"}"#)
        await fake.respond(audioMs: 600)
        let heard = try await call.wait { $0.audio.count >= 4800 }
        #expect(heard.audio.count == 4800)
        #expect(server.server.stats.agentErrors.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.agentMessagesRejected.load(ordering: .relaxed) == 4)
        #expect(server.server.stats.agentUnknownEvents.load(ordering: .relaxed) == 1)
        #expect(!heard.closed)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// An agent that vanishes mid-call is reconnected once, with the session sent again.
    @Test func aDroppedAgentIsReconnectedOnce() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let server = try await Self.server(fake)
        let call = try await server.call()
        call.sendConnectedAndStart()
        _ = try await fake.waitFor("session.update")
        fake.drop()
        _ = try await fake.waitFor("session.update", count: 2)
        #expect(fake.connectionCount == 2)
        await fake.respond(audioMs: 400)
        let heard = try await call.wait { $0.audio.count >= 3200 }
        #expect(heard.audio.count == 3200)
        #expect(server.server.stats.agentReconnects.load(ordering: .relaxed) == 1)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// An agent that cannot be reached: the caller hears an apology tone, then the call ends with a
    /// reason and a metric; the daemon is left idle.
    @Test func anUnreachableAgentEndsTheCallAfterATone() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let url = fake.url
        try await fake.stop()
        var settings = RealtimeSettings(url: url, apiKey: "test-key")
        settings.connectTimeout = .seconds(2)
        let server = try await TestServer {
            $0.agentProfiles = ["realtime": .openai(settings)]
            $0.agent = "realtime"
            $0.call = .init()
        }
        let call = try await server.call()
        call.sendConnectedAndStart()
        let heard = try await call.wait { $0.closed }
        #expect(heard.closed)
        #expect(heard.audio.count >= 8 * 400, "an apology tone before the call ends")
        #expect(server.server.stats.agentFailures.load(ordering: .relaxed) == 1)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// PCM 24 kHz both ways (Voice Live): the graph resamples, and a reply still plays whole.
    @Test func pcm24kAgentsAreResampled() async throws {
        let fake = try await FakeRealtimeServer(dialect: .voiceLive)
        let server = try await Self.server(fake, dialect: .voiceLive, audio: .pcm24)
        let call = try await server.call()
        call.sendConnectedAndStart()
        let update = try await fake.waitFor("session.update")[0]
        #expect(update.field("session", "input_audio_format") as? String == "pcm16")
        #expect(update.field("session", "input_audio_sampling_rate") as? Int == 24000)
        try await call.sendAudio(try Self.speech(ms: 400))
        _ = try await fake.waitFor("input_audio_buffer.append", count: 20)
        #expect(Self.appended(fake).count == 20 * 960, "20 frames of 24 kHz PCM")
        await fake.respond(audioMs: 1000)
        let heard = try await call.wait { $0.audio.count >= 8000 }
        #expect(heard.audio.count == 8000)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }
}
