import Bridge
import MediaGraph
import NIOWebSocket
import Testing
import VoicedTesting

/// The daemon on loopback, driven by real WebSocket clients playing Twilio.
@Suite struct TwilioCallTests {
    @Test func echoOfRealSpeechComesBackIdenticalAndInOrder() async throws {
        let server = try await TestServer()
        let speech = Array(try TestSpeech.frames().prefix(200))
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["tenant": "acme"])
        try await call.sendAudio(speech)
        let received = try await call.wait { $0.audio.count >= 200 * 160 }
        #expect(received.audio == TestSpeech.echoed(speech))
        #expect(server.server.registry.snapshot.first?.call.customParameters == ["tenant": "acme"])
        #expect(server.server.registry.snapshot.first?.call.streamID == call.messages.streamSid)
        call.sendStop()
        for _ in 0..<500 where server.server.registry.count > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.server.registry.count == 0, "stop releases the call while the socket is still open")
        #expect(server.server.pool.attachedCalls == 0)
        #expect(server.server.stats.connectionsOpen.load(ordering: .relaxed) == 1)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.messagesRejected.load(ordering: .relaxed) == 0)
        try await server.stop()
    }

    @Test func fiftyConcurrentCallsAllComeBackComplete() async throws {
        let server = try await TestServer()
        let speech = try TestSpeech.frames()
        let calls = 50, frames = 100
        try await withThrowingTaskGroup(of: String?.self) { group in
            for i in 0..<calls {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0..<40)))
                    let mine = Array(speech[(i * 7)..<(i * 7 + frames)])
                    let call = try await server.call()
                    call.sendConnectedAndStart()
                    try await call.sendAudio(mine)
                    let got = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= frames * 160 }
                    call.sendStop()
                    await call.client.close()
                    let expected = TestSpeech.echoed(mine)
                    guard got.audio != expected else { return nil }
                    let first = zip(got.audio, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    return "call \(i): \(got.audio.count) bytes back, \(expected.count) expected, first difference at byte \(first.map(String.init) ?? "-")"
                }
            }
            var mismatches: [String] = []
            for try await mismatch in group { if let mismatch { mismatches.append(mismatch) } }
            #expect(mismatches.isEmpty, "\(mismatches.count) of \(calls) calls came back wrong: \(mismatches.prefix(3))")
        }
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == calls)
        #expect(server.server.stats.framesDropped.load(ordering: .relaxed) == 0)
        try await server.stop()
    }

    /// Each case of shared/protocols.md §1.4 gets its documented reaction (docs/twilio.md), while a
    /// healthy call on the same daemon goes on untouched.
    @Test func edgeCasesAreRejectedAndOtherCallsAreUntouched() async throws {
        let server = try await TestServer()
        let stats = server.server.stats
        let speech = try TestSpeech.frames()
        let healthyAudio = Array(speech.prefix(100))
        let healthy = try await server.call()
        healthy.sendConnectedAndStart()
        async let healthyDone: Void = healthy.sendAudio(healthyAudio)

        let bad = try await server.call()
        let m = bad.messages
        let frame = speech[50]
        let payload = TwilioMessages.base64(frame)
        func rejections(_ reason: String) -> UInt64 { stats.rejections[reason] ?? 0 }

        bad.client.send(text: m.media(sequence: 1, chunk: 1, timestampMs: 0, base64Payload: payload))
        bad.sendConnectedAndStart()
        bad.client.send(text: m.start(sequence: 2))
        // Timestamp gap: frames at 0 and 100 ms → 80 ms (4 frames) of μ-law silence between them.
        bad.client.send(text: m.media(sequence: 3, chunk: 1, timestampMs: 0, base64Payload: payload))
        bad.client.send(text: m.media(sequence: 4, chunk: 2, timestampMs: 100, base64Payload: payload))
        // Backwards: resynchronise without padding.
        bad.client.send(text: m.media(sequence: 5, chunk: 3, timestampMs: 60, base64Payload: payload))
        let echoed = TestSpeech.echoed([frame])
        let expected = echoed + [UInt8](repeating: 0xFF, count: 4 * 160) + echoed + echoed
        let got = try await bad.wait { $0.audio.count >= expected.count }
        #expect(got.audio == expected)
        #expect(stats.silenceFramesInserted.load(ordering: .relaxed) == 4)

        bad.client.send(text: m.media(sequence: 6, chunk: 4, timestampMs: 80, base64Payload: payload, streamSid: "MZ0000"))
        bad.client.send(text: m.media(sequence: 7, chunk: 5, timestampMs: 100, base64Payload: "not base64!"))
        bad.client.send(text: m.media(sequence: 8, chunk: 5, timestampMs: 100, base64Payload: ""))
        bad.client.send(text: #"{"event":"media","streamSid":"\#(m.streamSid)","media":{"chunk":"five","timestamp":"100","payload":"\#(payload)"}}"#)
        bad.client.send(text: #"{"event":"media","streamSid":"\#(m.streamSid)","media":{"chunk":"5","timestamp":"1e3","payload":"\#(payload)"}}"#)
        bad.client.send(text: #"{"event":"media","streamSid":"#)
        bad.client.send(binary: frame)
        bad.client.send(text: #"{"event":"vendor-extension","streamSid":"\#(m.streamSid)"}"#)
        bad.client.send(text: m.dtmf(sequence: 9, digit: "7"))
        bad.sendStop()
        bad.client.send(text: m.media(sequence: 11, chunk: 6, timestampMs: 120, base64Payload: payload))

        // The socket is ordered: once the last message's rejection is counted, all earlier ones are.
        for _ in 0..<1000 where rejections("after_stop") == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(rejections("before_start") == 1)
        #expect(rejections("second_start") == 1)
        #expect(rejections("wrong_stream_sid") == 1)
        #expect(rejections("bad_payload") == 2)
        #expect(rejections("bad_counter") == 2)
        #expect(rejections("malformed_json") == 1)
        #expect(rejections("binary_frame") == 1)
        #expect(rejections("after_stop") == 1)
        #expect(stats.unknownEvents.load(ordering: .relaxed) == 1)
        #expect(stats.dtmfDigits.load(ordering: .relaxed) == 1)
        #expect(bad.received.audio.count == expected.count, "nothing rejected reached the graph")
        #expect(!bad.received.closed, "rejections never close the socket")

        try await healthyDone
        let healthyGot = try await healthy.wait { $0.audio.count >= 100 * 160 }
        #expect(healthyGot.audio == TestSpeech.echoed(healthyAudio))
        healthy.sendStop()
        await healthy.client.close()
        await bad.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// A graph with a `vad` node: the caller's sentences reach the session as speech events.
    @Test func vadEventsReachTheSession() async throws {
        let server = try await TestServer { $0.graph = GraphSpec(name: "vad", uplink: ["mulaw-decode", "vad"], downlink: ["mulaw-encode"]) }
        let speech = Array(try TestSpeech.frames().prefix(400)) // 8 s: the first two sentences
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio(speech, intervalMs: 5)
        let got = try await call.wait { $0.audio.count >= 400 * 160 }
        #expect(got.audio == TestSpeech.echoed(speech), "the vad node passes audio unchanged")
        #expect(server.server.stats.speechStarts.load(ordering: .relaxed) == 2)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// The `standard` preset end to end with the echo agent: every frame comes back (webrtc's
    /// processing changes the bytes, not their number) and the caller's speech is seen.
    @Test func standardPresetCallRunsEndToEnd() async throws {
        let server = try await TestServer { $0.graph = .standard }
        let speech = Array(try TestSpeech.frames().prefix(250))
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio(speech, intervalMs: 5)
        let got = try await call.wait { $0.audio.count >= 250 * 160 }
        #expect(got.audio.count == 250 * 160)
        #expect(server.server.stats.speechStarts.load(ordering: .relaxed) >= 1)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        let nodes = server.server.stats.latencySnapshot.nodes.keys.sorted()
        // Resamplers already at their rate (8 kHz in and out) are left out of the graph.
        #expect(nodes == ["downlink.echo-reference", "downlink.mulaw-encode", "downlink.playback-monitor",
                          "uplink.apm", "uplink.barge-in", "uplink.mulaw-decode", "uplink.vad"])
        try await server.stop()
    }

    /// A call names its graph with <Parameter name="graph">: a preset or one of the server's
    /// configured graphs. Any other name, or a spec written out in the parameter (even a valid one:
    /// a caller must not choose what its call costs), refuses that call (1008, counted) and leaves a
    /// call in progress untouched.
    @Test func aCallNamesItsGraphAndCannotWriteOne() async throws {
        let server = try await TestServer { // default graph: passthrough
            $0.graphs = ["clean": try! GraphSpec(name: "clean", parsing: "mulaw-decode, apm(ns=very-high), vad; mulaw-encode")]
        }
        let speech = Array(try TestSpeech.frames().prefix(150))
        let healthy = try await server.call()
        healthy.sendConnectedAndStart(parameters: ["graph": "standard"])
        try await healthy.sendAudio(Array(speech.prefix(50)), intervalMs: 2)
        let configured = try await server.call()
        configured.sendConnectedAndStart(parameters: ["graph": "clean"])
        try await configured.sendAudio(Array(speech.prefix(50)), intervalMs: 2)
        #expect(try await configured.wait { $0.audio.count >= 50 * 160 }.closed == false)

        for bad in ["fancy", "mulaw-decode, apm; mulaw-encode", "mulaw-decode, apm(ns=loud); mulaw-encode"] {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: ["graph": bad])
            let got = try await call.wait { $0.closed }
            #expect(got.closeCode == .policyViolation, "\(bad)")
        }
        #expect(server.server.stats.rejections["bad_graph"] == 3)

        try await healthy.sendAudio(Array(speech.dropFirst(50)), firstChunk: 51, intervalMs: 2)
        let got = try await healthy.wait { $0.audio.count >= 150 * 160 }
        #expect(got.audio.count == 150 * 160 && !got.closed)
        #expect(server.server.stats.speechStarts.load(ordering: .relaxed) >= 1, "the call runs standard's VAD")
        await healthy.client.close()
        await configured.client.close()
        #expect(try await server.waitUntilIdle())
        let nodes = server.server.stats.latencySnapshot.nodes.keys
        #expect(nodes.contains("uplink.apm"))
        try await server.stop()
    }

    /// The server's own graph is built before it serves anything: one that cannot work stops it.
    @Test func aServerGraphThatCannotBeBuiltStopsTheServer() throws {
        var configuration = VoicedServer.Configuration()
        configuration.mediaThreads = 1
        configuration.ioThreads = 1
        configuration.graph = try GraphSpec(parsing: "mulaw-decode; mulaw-decode")
        #expect(throws: ServerError.self) { try VoicedServer(configuration: configuration) }
        configuration.graph = .passthrough
        configuration.graphs = ["broken": try GraphSpec(name: "broken", parsing: "mulaw-decode, apm(rate=3); mulaw-encode")]
        #expect(throws: ServerError.self) { try VoicedServer(configuration: configuration) }
    }

    @Test func unsupportedMediaFormatClosesTheSocketWith1003() async throws {
        let server = try await TestServer()
        let call = try await server.call()
        call.client.send(text: call.messages.start(encoding: "audio/x-l16", sampleRate: 16000))
        let got = try await call.wait { $0.closed }
        #expect(got.closed)
        #expect(got.closeCode == .unacceptableData)
        #expect(server.server.stats.rejections["unsupported_media_format"] == 1)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    @Test func aClientThatVanishesLeavesNothingBehind() async throws {
        let server = try await TestServer()
        let speech = try TestSpeech.frames()
        let calls = try await withThrowingTaskGroup(of: TwilioTestCall.self) { group in
            for _ in 0..<10 { group.addTask { try await server.call() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for call in calls { call.sendConnectedAndStart() }
        for call in calls { try await call.sendAudio(Array(speech.prefix(5)), intervalMs: 0) }
        for call in calls { try await call.wait { $0.audio.count >= 5 * 160 } }
        #expect(server.server.registry.count == 10)
        #expect(server.server.pool.attachedCalls == 10)
        for call in calls { await call.client.drop() }
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 10)
        try await server.stop()
    }

    @Test func oversizedMessagesCloseOnlyTheirOwnSocket() async throws {
        let server = try await TestServer()
        let other = try await server.call()
        other.sendConnectedAndStart()
        let flooder = try await server.call()
        flooder.sendConnectedAndStart()
        flooder.client.send(text: String(repeating: "A", count: 70_000))
        let closed = try await flooder.wait { $0.closed }
        #expect(closed.closed)
        let speech = Array(try TestSpeech.frames().prefix(10))
        try await other.sendAudio(speech, intervalMs: 0)
        let got = try await other.wait { $0.audio.count >= 10 * 160 }
        #expect(got.audio == TestSpeech.echoed(speech))
        await other.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    @Test func onlyMediaPathsUpgrade() async throws {
        let server = try await TestServer()
        await #expect(throws: WebSocketClient.ClientError.self) { _ = try await server.call(path: "/nope") }
        let tokenPath = try await server.call(path: "/twilio/tenant-token-123")
        tokenPath.sendConnectedAndStart()
        try await tokenPath.sendAudio(Array(try TestSpeech.frames().prefix(3)), intervalMs: 0)
        #expect(try await tokenPath.wait { $0.audio.count >= 480 }.audio.count == 480)
        await tokenPath.client.close()
        try await server.stop()
    }
}
