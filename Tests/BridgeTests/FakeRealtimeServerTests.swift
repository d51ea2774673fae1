import Foundation
import LoadGen
import NIOCore
import NIOPosix
import NIOWebSocket
import NIOConcurrencyHelpers
import Testing
import VoicedTesting

/// The fake Realtime server (GA and Voice Live) over real loopback sockets, driven by LoadGen's
/// WebSocket client: the upgrade checks, the session handshake, responses in each output format,
/// cancellation, truncation, the recoverable errors and the server VAD on real speech.
@Suite struct FakeRealtimeServerTests {
    // MARK: Upgrade

    @Test func theKeyPathAndQueryAreCheckedBeforeTheUpgrade() async throws {
        let ga = try await FakeRealtimeServer(dialect: .ga)
        #expect(try await RawHTTP.status(port: ga.port, path: "/v1/realtime?model=gpt-realtime") == 401)
        #expect(try await RawHTTP.status(port: ga.port, path: "/v1/realtime?model=gpt-realtime", headers: [("Authorization", "Bearer wrong")]) == 401)
        #expect(try await RawHTTP.status(port: ga.port, path: "/v1/realtime?model=gpt-realtime", headers: [("api-key", "test-key")]) == 401,
                "OpenAI itself takes only the Bearer header")
        #expect(try await RawHTTP.status(port: ga.port, path: "/v1/elsewhere?model=gpt-realtime", headers: [("Authorization", "Bearer test-key")]) == 404)
        #expect(try await RawHTTP.status(port: ga.port, path: "/v1/realtime", headers: [("Authorization", "Bearer test-key")]) == 400)
        await #expect(throws: (any Error).self) { _ = try await RealtimeTestClient.connect(ga, headers: []) }
        #expect(ga.connectionCount == 0)
        #expect(ga.rejectedUpgrades == [401, 401, 401, 404, 400, 401])

        // Azure OpenAI GA: `api-key` on /openai/v1/realtime.
        let azure = try await RealtimeTestClient.connect(ga, path: "/openai/v1/realtime?model=gpt-realtime", headers: [("api-key", "test-key")])
        _ = try await azure.waitFor("session.created")
        #expect(ga.connectionCount == 1)
        try await ga.stop()

        let vl = try await FakeRealtimeServer(dialect: .voiceLive)
        #expect(try await RawHTTP.status(port: vl.port, path: "/voice-live/realtime?model=gpt-realtime", headers: [("api-key", "test-key")]) == 400,
                "api-version is required")
        #expect(try await RawHTTP.status(port: vl.port, path: "/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime") == 401)
        let client = try await RealtimeTestClient.connect(vl, path: "/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime&api-key=test-key", headers: [])
        _ = try await client.waitFor("session.created")
        try await vl.stop()

        var refusing = FakeRealtimeServer.Behaviour()
        refusing.refuseUpgrade = true
        let down = try await FakeRealtimeServer(dialect: .ga, behaviour: refusing)
        #expect(try await RawHTTP.status(port: down.port, path: "/v1/realtime?model=gpt-realtime", headers: [("Authorization", "Bearer test-key")]) == 503)
        try await down.stop()
    }

    @Test func theBetaHeaderIsRefusedWith4000() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let client = try await RealtimeTestClient.connect(fake, headers: [("Authorization", "Bearer test-key"), ("OpenAI-Beta", "realtime=v1")])
        let error = try await client.waitFor("error")[0]
        #expect(error.string("error", "code") == "beta_api_shape_disabled")
        let close = try await client.waitForClose()
        #expect(close.code == 4000)
        #expect(close.reason == "beta_api_shape_disabled")
        #expect(client.events.allSatisfy { $0.type != "session.created" })
        try await fake.stop()
    }

    // MARK: Session

    @Test func gaSessionHandshake() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let client = try await RealtimeTestClient.connect(fake)
        let created = try await client.waitFor("session.created")[0]
        #expect(created.string("session", "type") == "realtime")
        #expect(created.string("session", "object") == "realtime.session")
        #expect(created.string("session", "model") == "gpt-realtime")
        #expect(created.string("session", "audio", "input", "format", "type") == "audio/pcm")
        #expect(created.int("session", "audio", "output", "format", "rate") == 24000)
        #expect(created.string("session", "audio", "input", "turn_detection", "type") == "server_vad")
        #expect(created.value("session", "expires_at") is Int)

        // Without session.type: the documented error, and the session is unchanged.
        client.send(#"{"type":"session.update","event_id":"evt_1","session":{"instructions":"x"}}"#)
        var error = try await client.waitFor("error")[0]
        #expect(error.string("error", "code") == "missing_required_parameter")
        #expect(error.string("error", "param") == "session.type")
        #expect(error.string("error", "event_id") == "evt_1")

        // Beta-shaped fields are unknown to GA.
        client.send(#"{"type":"session.update","session":{"type":"realtime","input_audio_format":"g711_ulaw"}}"#)
        error = try await client.waitFor("error", count: 2)[1]
        #expect(error.string("error", "code") == "unknown_parameter")
        #expect(error.string("error", "param") == "session.input_audio_format")

        // PCM at another rate is not allowed.
        client.send(#"{"type":"session.update","session":{"type":"realtime","audio":{"output":{"format":{"type":"audio/pcm","rate":16000}}}}}"#)
        error = try await client.waitFor("error", count: 3)[2]
        #expect(error.string("error", "code") == "invalid_value")
        #expect(error.string("error", "param") == "session.audio.output.format.rate")

        // The doc's example (a): μ-law both ways.
        client.send(Self.gaMuLawUpdate)
        let updated = try await client.waitFor("session.updated")[0]
        #expect(updated.string("session", "audio", "input", "format", "type") == "audio/pcmu")
        #expect(updated.string("session", "audio", "output", "format", "type") == "audio/pcmu")
        #expect(updated.string("session", "audio", "output", "voice") == "marin")
        #expect(updated.int("session", "audio", "input", "turn_detection", "silence_duration_ms") == 500)
        #expect(updated.string("session", "instructions") == "You are a phone agent. Be brief.")
        #expect(updated.value("event_id") as? String != nil)

        // The doc's example (b): PCM 24 kHz both ways with semantic VAD.
        client.send(#"""
            {"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],
             "instructions":"You are a phone agent. Be brief.",
             "audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"transcription":{"model":"whisper-1"},
               "turn_detection":{"type":"semantic_vad","eagerness":"auto","create_response":true,"interrupt_response":true}},
              "output":{"format":{"type":"audio/pcm","rate":24000},"voice":"marin"}}}}
            """#)
        let semantic = try await client.waitFor("session.updated", count: 2)[1]
        #expect(semantic.string("session", "audio", "input", "turn_detection", "eagerness") == "auto")
        #expect(semantic.int("session", "audio", "output", "format", "rate") == 24000)
        #expect(try await fake.waitFor("session.update", count: 5).count == 5)
        #expect(client.events.filter { $0.type == "error" }.count == 3)
        try await fake.stop()
    }

    @Test func voiceLiveSessionHandshake() async throws {
        let fake = try await FakeRealtimeServer(dialect: .voiceLive)
        let client = try await RealtimeTestClient.connect(fake)
        let created = try await client.waitFor("session.created")[0]
        #expect(created.string("session", "input_audio_format") == "pcm16")
        #expect(created.int("session", "input_audio_sampling_rate") == 24000)
        #expect(created.value("session", "modalities") as? [String] == ["text", "audio"])
        #expect(created.int("session", "turn_detection", "prefix_padding_ms") == 400)

        // Audio alone is not allowed.
        client.send(#"{"type":"session.update","session":{"modalities":["audio"]}}"#)
        var error = try await client.waitFor("error")[0]
        #expect(error.string("error", "code") == "invalid_value")
        #expect(error.string("error", "param") == "session.modalities")

        // GA-shaped fields are unknown to Voice Live.
        client.send(#"{"type":"session.update","session":{"type":"realtime"}}"#)
        error = try await client.waitFor("error", count: 2)[1]
        #expect(error.string("error", "code") == "unknown_parameter")

        // The doc's example (a).
        client.send(#"""
            {"type":"session.update","session":{"modalities":["text","audio"],"instructions":"You are a phone agent. Be brief.",
             "voice":{"type":"openai","name":"marin"},"input_audio_format":"g711_ulaw","output_audio_format":"g711_ulaw",
             "input_audio_transcription":{"model":"whisper-1"},
             "turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":500,
               "create_response":true,"interrupt_response":true}}}
            """#)
        let updated = try await client.waitFor("session.updated")[0]
        #expect(updated.string("session", "input_audio_format") == "g711_ulaw")
        #expect(updated.string("session", "output_audio_format") == "g711_ulaw")
        #expect(updated.value("session", "input_audio_sampling_rate") == nil, "G.711 is 8 kHz implicitly")
        #expect(updated.string("session", "voice", "name") == "marin")
        #expect(updated.value("session", "turn_detection", "auto_truncate") as? Bool == false)

        // The doc's example (b) is refused: the input format is fixed once audio has flowed.
        client.send(#"{"type":"input_audio_buffer.append","audio":"\#(Data(repeating: 0xFF, count: 160).base64EncodedString())"}"#)
        let exampleB = #"""
            {"type":"session.update","session":{"modalities":["text","audio"],"instructions":"You are a phone agent. Be brief.",
             "voice":{"type":"azure-standard","name":"en-US-Ava:DragonHDLatestNeural"},
             "input_audio_format":"pcm16","output_audio_format":"pcm16","input_audio_sampling_rate":24000,
             "input_audio_noise_reduction":{"type":"azure_deep_noise_suppression"},
             "turn_detection":{"type":"azure_semantic_vad","threshold":0.5,"prefix_padding_ms":420,"silence_duration_ms":500,
               "create_response":true,"interrupt_response":true}}}
            """#
        client.send(exampleB)
        error = try await client.waitFor("error", count: 3)[2]
        #expect(error.string("error", "param") == "session.input_audio_format")

        // On a fresh session it is accepted.
        let second = try await RealtimeTestClient.connect(fake)
        _ = try await second.waitFor("session.created")
        second.send(exampleB)
        let pcm = try await second.waitFor("session.updated")[0]
        #expect(pcm.string("session", "turn_detection", "type") == "azure_semantic_vad")
        #expect(pcm.int("session", "turn_detection", "speech_duration_ms") == 80)
        #expect(pcm.string("session", "voice", "type") == "azure-standard")
        try await fake.stop()
    }

    // MARK: Responses

    enum OutputCase: String, CaseIterable, Sendable {
        case gaMuLaw, gaPCM24k, voiceLiveMuLaw, voiceLivePCM24k
    }

    @Test(arguments: OutputCase.allCases)
    func responsesCarryTheAskedAudioInTheSessionFormat(_ output: OutputCase) async throws {
        let ga = output == .gaMuLaw || output == .gaPCM24k
        let muLaw = output == .gaMuLaw || output == .voiceLiveMuLaw
        let fake = try await FakeRealtimeServer(dialect: ga ? .ga : .voiceLive)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")
        switch output {
        case .gaMuLaw: client.send(Self.gaMuLawUpdate)
        case .gaPCM24k: client.send(#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000}},"output":{"format":{"type":"audio/pcm","rate":24000}}}}}"#)
        case .voiceLiveMuLaw: client.send(#"{"type":"session.update","session":{"input_audio_format":"g711_ulaw","output_audio_format":"g711_ulaw"}}"#)
        case .voiceLivePCM24k: client.send(#"{"type":"session.update","session":{"input_audio_format":"pcm16","output_audio_format":"pcm16","input_audio_sampling_rate":24000}}"#)
        }
        _ = try await client.waitFor("session.updated")
        let bytesPerMs = muLaw ? 8 : 48
        client.send(#"{"type":"input_audio_buffer.append","audio":"\#(Data(repeating: muLaw ? 0xFF : 0, count: 20 * bytesPerMs).base64EncodedString())"}"#)
        _ = try await fake.waitFor("input_audio_buffer.append")

        let summary = try #require(await fake.respond(audioMs: 1050))
        #expect(summary.status == "completed")
        #expect(summary.audioMs == 1050)
        #expect(summary.deltas == 11, "100 ms per delta, the last 50 ms")
        let done = try await client.waitFor("response.done")[0]
        #expect(done.string("response", "status") == "completed")
        #expect(done.string("response", "id") == summary.responseID)
        let deltaType = ga ? "response.output_audio.delta" : "response.audio.delta"
        let deltas = client.events.filter { $0.type == deltaType }
        let audio = deltas.flatMap { Array(Data(base64Encoded: $0.string("delta") ?? "") ?? Data()) }
        #expect(audio.count == 1050 * bytesPerMs)
        #expect(deltas.allSatisfy { $0.string("response_id") == summary.responseID && $0.string("item_id") == summary.itemID })
        #expect(deltas.allSatisfy { $0.int("output_index") == 0 && $0.int("content_index") == 0 })
        // A TTS-like signal: loud enough to hear, not clipped.
        let samples: [Int] = muLaw ? audio.map { Int(Self.muLawDecode($0)) }
            : stride(from: 0, to: audio.count, by: 2).map { Int(Int16(bitPattern: UInt16(audio[$0]) | UInt16(audio[$0 + 1]) << 8)) }
        let peak = samples.map(abs).max() ?? 0
        #expect(peak > 5000 && peak < 32000)

        // The order of a response, per the doc.
        let order = client.events.map(\.type).filter { !$0.hasPrefix("session.") }
        let prefix = ga ? "response.output_audio" : "response.audio"
        #expect(Array(order.prefix(5)) == ["response.created", "rate_limits.updated", "response.output_item.added",
                                           ga ? "conversation.item.added" : "conversation.item.created", "response.content_part.added"])
        let tail = ga
            ? ["\(prefix).done", "\(prefix)_transcript.done", "response.content_part.done", "response.output_item.done", "conversation.item.done", "response.done"]
            : ["\(prefix).done", "\(prefix)_transcript.done", "response.content_part.done", "response.output_item.done", "response.done"]
        #expect(Array(order.suffix(tail.count)) == tail)
        #expect(order.contains("\(prefix)_transcript.delta"))
        try await fake.stop()
    }

    @Test func cancellingMidResponseEndsItCancelledAfterTheLateDeltas() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.realtimeFactor = 1
        behaviour.lateDeltasAfterCancel = 2
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")

        // Nothing running: the documented error.
        client.send(#"{"type":"response.cancel"}"#)
        let error = try await client.waitFor("error")[0]
        #expect(error.string("error", "code") == "response_cancel_not_active")
        #expect(error.string("error", "message") == "Cancellation failed: no active response found")

        client.send(#"{"type":"response.create"}"#)
        let created = try await client.waitFor("response.created")[0]
        let id = try #require(created.string("response", "id"))
        _ = try await client.waitFor("response.output_audio.delta", count: 2)
        let before = client.events.filter { $0.type == "response.output_audio.delta" }.count
        client.send(#"{"type":"response.cancel","response_id":"\#(id)"}"#)
        let done = try await client.waitFor("response.done")[0]
        #expect(done.string("response", "status") == "cancelled")
        #expect(done.string("response", "status_details", "type") == "cancelled")
        #expect(done.string("response", "status_details", "reason") == "client_cancelled")
        #expect(done.string("response", "output", "0", "status") == "incomplete")
        let after = client.events.filter { $0.type == "response.output_audio.delta" }.count
        // Two late deltas after the cancel arrived, plus one more when a delta was due (every 100 ms)
        // while the cancel was on its way.
        #expect((2...3).contains(after - before), "two late deltas after the cancel: \(after - before)")
        #expect(after < 20, "cut short")
        #expect(client.events.contains { $0.type == "response.output_audio.done" })

        // A second cancel races with nothing.
        client.send(#"{"type":"response.cancel","response_id":"\#(id)"}"#)
        #expect(try await client.waitFor("error", count: 2)[1].string("error", "code") == "response_cancel_not_active")
        try await fake.stop()
    }

    @Test func speechStartCancelsTheRunningResponseItself() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.realtimeFactor = 1
        let fake = try await FakeRealtimeServer(dialect: .voiceLive, behaviour: behaviour)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")
        async let summary = fake.respond(audioMs: 2000)
        _ = try await client.waitFor("response.audio.delta", count: 2)
        fake.speechStarted()
        let done = try await client.waitFor("response.done")[0]
        #expect(done.string("response", "status") == "cancelled")
        #expect(done.string("response", "status_details", "reason") == "turn_detected")
        let result = try #require(await summary)
        #expect(result.status == "cancelled")
        #expect(result.audioMs < 2000)
        let started = try #require(client.events.firstIndex { $0.type == "input_audio_buffer.speech_started" })
        let doneIndex = try #require(client.events.firstIndex { $0.type == "response.done" })
        #expect(started < doneIndex)
        try await fake.stop()
    }

    @Test func truncationIsCheckedAgainstTheAudioSent() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")
        let summary = try #require(await fake.respond(audioMs: 1000))
        _ = try await client.waitFor("response.done")
        func truncate(_ item: String, _ ms: String) { client.send(#"{"type":"conversation.item.truncate","item_id":"\#(item)","content_index":0,"audio_end_ms":\#(ms)}"#) }

        truncate(summary.itemID, "1500")
        var error = try await client.waitFor("error")[0]
        #expect(error.string("error", "code") == "invalid_value")
        #expect(error.string("error", "message") == "Audio content of 1000ms is already shorter than 1500ms")
        #expect(error.value("error", "param") is NSNull)

        truncate(summary.itemID, "-1")
        error = try await client.waitFor("error", count: 2)[1]
        #expect(error.string("error", "code") == "integer_below_min_value")
        #expect(error.string("error", "param") == "audio_end_ms")

        truncate(summary.itemID, "100.5")
        error = try await client.waitFor("error", count: 3)[2]
        #expect(error.string("error", "code") == "invalid_type", "audio_end_ms is an integer")

        truncate("item_doesNotExist", "100")
        error = try await client.waitFor("error", count: 4)[3]
        #expect(error.string("error", "code") == "item_truncate_invalid_item_id")

        truncate(summary.itemID, "400")
        let truncated = try await client.waitFor("conversation.item.truncated")[0]
        #expect(truncated.string("item_id") == summary.itemID)
        #expect(truncated.int("content_index") == 0)
        #expect(truncated.int("audio_end_ms") == 400)
        truncate(summary.itemID, "1000")
        error = try await client.waitFor("error", count: 5)[4]
        #expect(error.string("error", "message") == "Audio content of 400ms is already shorter than 1000ms", "truncated items keep the new length")
        try await fake.stop()
    }

    @Test func otherRecoverableErrorsKeepTheSession() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.realtimeFactor = 1
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")
        client.send(#"{"type":"input_audio_buffer.commit"}"#)
        client.send(#"{"type":"input_audio_buffer.append","audio":"not base64!"}"#)
        client.send(#"{"type":"response.brand_new"}"#)
        client.send("not json")
        client.send(#"{"type":"response.create"}"#)
        client.send(#"{"type":"response.create"}"#)
        let errors = try await client.waitFor("error", count: 5)
        #expect(errors.map { $0.string("error", "code") ?? "" } == [
            "input_audio_buffer_commit_empty", "invalid_value", "invalid_value", "invalid_json", "conversation_already_has_active_response",
        ])
        #expect(errors[0].string("error", "message") == "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 0.00ms of audio.")
        #expect(errors[2].string("error", "param") == "type")
        #expect(errors[4].string("error", "message")?.hasPrefix("Conversation already has an active response in progress: resp_") == true)

        // 200 ms of PCM 24 kHz (the default input format) is enough to commit.
        client.send(#"{"type":"input_audio_buffer.append","audio":"\#(Data(repeating: 0, count: 9600).base64EncodedString())"}"#)
        client.send(#"{"type":"input_audio_buffer.commit"}"#)
        let committed = try await client.waitFor("input_audio_buffer.committed")[0]
        #expect(committed.value("previous_item_id") != nil)
        client.send(#"{"type":"input_audio_buffer.clear"}"#)
        _ = try await client.waitFor("input_audio_buffer.cleared")
        #expect(fake.events().map(\.type).contains(""), "the garbage is recorded too")

        // Ping → pong.
        client.client.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer(string: "hi")), promise: nil)
        _ = try await client.waitForPong()
        try await fake.stop()
    }

    @Test func closeAndDropEndTheNewestConnection() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let first = try await RealtimeTestClient.connect(fake)
        _ = try await first.waitFor("session.created")
        fake.close(code: 1001, reason: "session_expired")
        let close = try await first.waitForClose()
        #expect(close.code == 1001)
        #expect(close.reason == "session_expired")

        let second = try await RealtimeTestClient.connect(fake)
        _ = try await second.waitFor("session.created")
        try await fake.waitForConnection(count: 2)
        fake.drop()
        try await second.client.channel.closeFuture.get()
        #expect(second.closeFrame == nil, "no close frame: a vanished agent")
        for _ in 0..<400 where fake.openConnections > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(fake.openConnections == 0)
        #expect(fake.connectionCount == 2)
        try await fake.stop()
    }

    // MARK: Server VAD

    /// A turn of real speech (the third segment of the test speech, from 0.5 s before it to just
    /// before the next), sent in real time as μ-law appends, is detected and answered.
    @Test func autoRespondAnswersATurnOfRealSpeech() async throws {
        var behaviour = FakeRealtimeServer.Behaviour()
        behaviour.autoRespond = true
        behaviour.responseAudioMs = 600
        let fake = try await FakeRealtimeServer(dialect: .ga, behaviour: behaviour)
        let client = try await RealtimeTestClient.connect(fake)
        _ = try await client.waitFor("session.created")
        client.send(Self.gaMuLawUpdate)
        _ = try await client.waitFor("session.updated")

        let frames = try TestSpeech.frames()
        let segment = (start: 8.0757, end: 10.4577)
        let first = Int((segment.start - 0.5) * 50), last = Int((segment.end + 0.54) * 50)
        let clock = ContinuousClock()
        let t0 = clock.now
        for (k, frame) in frames[first..<last].enumerated() {
            client.send(#"{"type":"input_audio_buffer.append","audio":"\#(Data(frame).base64EncodedString())"}"#)
            try await clock.sleep(until: t0 + .milliseconds(20 * (k + 1)))
        }

        let started = try await client.waitFor("input_audio_buffer.speech_started")[0]
        let stopped = try await client.waitFor("input_audio_buffer.speech_stopped")[0]
        let onsetMs = 500 - 300 // 0.5 s in, less the 300 ms prefix padding
        let endMs = 500 + Int((segment.end - segment.start) * 1000) + 500 // the speech, then 500 ms of quiet
        #expect(abs((started.int("audio_start_ms") ?? -1) - onsetMs) <= 100, "audio_start_ms \(started.int("audio_start_ms") ?? -1)")
        #expect(abs((stopped.int("audio_end_ms") ?? -1) - endMs) <= 100, "audio_end_ms \(stopped.int("audio_end_ms") ?? -1)")
        #expect(started.string("item_id") == stopped.string("item_id"))
        let committed = try await client.waitFor("input_audio_buffer.committed")[0]
        #expect(committed.string("item_id") == started.string("item_id"))
        #expect(try await client.waitFor("conversation.item.input_audio_transcription.completed").count == 1)

        let done = try await client.waitFor("response.done")[0]
        #expect(done.string("response", "status") == "completed")
        let audio = client.events.filter { $0.type == "response.output_audio.delta" }
            .reduce(0) { $0 + (Data(base64Encoded: $1.string("delta") ?? "")?.count ?? 0) }
        #expect(audio == 600 * 8, "600 ms of μ-law")
        #expect(client.events.filter { $0.type == "input_audio_buffer.speech_started" }.count == 1, "one turn")
        #expect(try await fake.waitFor("input_audio_buffer.append", count: last - first).count == last - first)
        try await fake.stop()
    }

    // MARK: Helpers

    static let gaMuLawUpdate = #"""
        {"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],
         "instructions":"You are a phone agent. Be brief.",
         "audio":{"input":{"format":{"type":"audio/pcmu"},"transcription":{"model":"gpt-4o-transcribe"},
           "turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":500,
             "create_response":true,"interrupt_response":true}},
          "output":{"format":{"type":"audio/pcmu"},"voice":"marin"}}}}
        """#

    static func muLawDecode(_ code: UInt8) -> Int16 {
        let u = ~code
        let magnitude = ((Int(u & 0x0F) << 3) + 0x84) << Int(u >> 4 & 0x07) - 0x84
        return Int16(u & 0x80 != 0 ? -magnitude : magnitude)
    }
}

/// A server event the test client received, parsed.
private struct ServerEvent: Sendable {
    let type: String
    let text: String

    /// The value at `path`: strings pick object members, decimal strings index arrays.
    func value(_ path: String...) -> Any? { lookup(path) }
    func string(_ path: String...) -> String? { lookup(path) as? String }
    func int(_ path: String...) -> Int? { lookup(path) as? Int }

    private func lookup(_ path: [String]) -> Any? {
        guard var value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        for key in path {
            if let object = value as? [String: Any], let next = object[key] {
                value = next
            } else if let array = value as? [Any], let i = Int(key), array.indices.contains(i) {
                value = array[i]
            } else {
                return nil
            }
        }
        return value
    }
}

/// A Realtime client over LoadGen's WebSocket client that records every server event.
private final class RealtimeTestClient: Sendable {
    struct Received {
        var events: [ServerEvent] = []
        var closeFrame: (code: UInt16, reason: String)?
        var pongs = 0
    }

    /// What the client's event loop records and the test reads.
    final class Recorder: Sendable {
        let received = NIOLockedValueBox(Received())

        func handle(_ frame: WebSocketFrame) {
            var data = frame.unmaskedData
            switch frame.opcode {
            case .text:
                let text = data.readString(length: data.readableBytes) ?? ""
                let type = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["type"] as? String ?? ""
                received.withLockedValue { $0.events.append(ServerEvent(type: type, text: text)) }
            case .connectionClose:
                let code = data.readInteger(as: UInt16.self) ?? 0
                let reason = data.readString(length: data.readableBytes) ?? ""
                received.withLockedValue { $0.closeFrame = (code, reason) }
            case .pong:
                received.withLockedValue { $0.pongs += 1 }
            default:
                break
            }
        }
    }

    let client: WebSocketClient
    private let recorder: Recorder

    private init(client: WebSocketClient, recorder: Recorder) {
        self.client = client
        self.recorder = recorder
    }

    deinit { client.channel.close(promise: nil) }

    /// Connects to `fake` (its own `url` path unless given) with its key in the dialect's header.
    static func connect(_ fake: FakeRealtimeServer, path: String? = nil, headers: [(String, String)]? = nil) async throws -> RealtimeTestClient {
        let recorder = Recorder()
        let defaultHeaders = fake.dialect == .ga ? [("Authorization", "Bearer test-key")] : [("api-key", "test-key")]
        let urlPath = String(fake.url.dropFirst("ws://127.0.0.1:\(fake.port)".count))
        let client = try await WebSocketClient.connect(
            host: "127.0.0.1", port: fake.port, path: path ?? urlPath, group: MultiThreadedEventLoopGroup.singleton,
            headers: headers ?? defaultHeaders
        ) { frame in recorder.handle(frame) }
        return RealtimeTestClient(client: client, recorder: recorder)
    }

    var events: [ServerEvent] { recorder.received.withLockedValue { $0.events } }
    var closeFrame: (code: UInt16, reason: String)? { recorder.received.withLockedValue { $0.closeFrame } }

    func send(_ text: String) { client.send(text: text) }

    /// Waits for `count` server events of `type`; returns all of that type so far.
    func waitFor(_ type: String, count: Int = 1, timeout: Duration = .seconds(5)) async throws -> [ServerEvent] {
        try await poll(timeout, "\(count) × \(type)") {
            let matching = $0.events.filter { $0.type == type }
            return matching.count >= count ? matching : nil
        }
    }

    func waitForClose() async throws -> (code: UInt16, reason: String) {
        try await poll(.seconds(5), "a close frame") { $0.closeFrame }
    }

    func waitForPong() async throws -> Int {
        try await poll(.seconds(5), "a pong") { $0.pongs > 0 ? $0.pongs : nil }
    }

    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    private func poll<T>(_ timeout: Duration, _ what: String, _ check: (Received) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let late = ContinuousClock.now >= deadline
            if let result = recorder.received.withLockedValue({ check($0) }) { return result }
            if late { throw Timeout(description: "no \(what); received: \(events.map(\.type))") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Sends one raw HTTP upgrade request and reads the status of the answer.
private enum RawHTTP {
    static func status(port: Int, path: String, headers: [(String, String)] = []) async throws -> Int {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let text = String(decoding: collector.collected.withLockedValue { $0 }, as: UTF8.self)
            if let line = text.split(separator: "\r\n").first, text.contains("\r\n"), let code = Int(line.split(separator: " ")[1]) {
                try? await channel.close()
                return code
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        try? await channel.close()
        throw RealtimeTestClient.Timeout(description: "no HTTP answer")
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let collected = NIOLockedValueBox<[UInt8]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            collected.withLockedValue { $0 += buffer.readableBytesView }
        }
    }
}
