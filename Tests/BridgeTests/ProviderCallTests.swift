import Bridge
import CAudio
import Foundation
import MediaGraph
import NIOWebSocket
import Testing
import VoicedTesting

/// Every provider beside Twilio, on the daemon over loopback, each driven by a client that speaks
/// its protocol as its documentation describes (``ProviderWire``).
@Suite struct ProviderCallTests {
    static let wires: [any ProviderWire] = [
        ExotelWire(rateHz: 8000), ExotelWire(rateHz: 16000), ACSWire(rateHz: 16000), ACSWire(rateHz: 24000),
        TelnyxWire(codec: .pcmu), TelnyxWire(codec: .pcma), TelnyxWire(codec: .l16, rateHz: 16000),
        VonageWire(rateHz: 8000), VonageWire(rateHz: 16000), PlivoWire(muLaw: true), PlivoWire(muLaw: false, rateHz: 16000),
    ]

    /// Connects `wire`'s call with the custom parameter `tenant=acme` (ACS: in the transport URL).
    static func open(_ wire: any ProviderWire, on server: TestServer) async throws -> ProviderTestCall {
        let call = try await server.call(wire, suffix: wire is ACSWire ? "?tenant=acme" : "")
        call.open(parameters: wire is ACSWire ? [:] : ["tenant": "acme"])
        return call
    }

    /// Messages swapped in pairs (1 0 3 2 …): a network that does not keep order.
    static func swappedPairs(_ count: Int) -> [Int] { (0..<count).map { $0 ^ 1 < count ? $0 ^ 1 : $0 } }

    @Test(arguments: wires)
    func echoOfRealSpeechComesBackCompleteAndInOrder(_ wire: any ProviderWire) async throws {
        let server = try await TestServer()
        let speech = Array(try TestSpeech.frames(for: wire).prefix(200))
        let call = try await Self.open(wire, on: server)
        // Telnyx does not keep order: its chunks go out swapped in pairs and must come back in order.
        let order = wire is TelnyxWire ? Self.swappedPairs(200 / wire.framesPerMessage) : nil
        try await call.sendAudio(speech, intervalMs: 5, order: order)
        let received = try await call.wait { wire.isEcho($0.audio, of: speech) }
        #expect(wire.isEcho(received.audio, of: speech), "\(wire.provider): the echo is the speech, complete and in order")
        switch wire.provider {
        case "exotel":
            #expect(received.messageSizes.allSatisfy { $0 % wire.bytesPerFrame == 0 && $0 >= 5 * wire.bytesPerFrame && $0 <= 100_000 },
                    "Exotel: whole 20 ms frames, at least 100 ms, at most 100 KB per message")
        case "vonage", "acs":
            #expect(received.messageSizes.allSatisfy { $0 == wire.bytesPerFrame }, "exactly one 20 ms frame per message")
        default:
            #expect(received.messageSizes.allSatisfy { $0 % wire.bytesPerFrame == 0 })
        }
        let record = try #require(server.server.registry.snapshot.first)
        #expect(record.call.provider == wire.provider)
        #expect(record.call.customParameters["tenant"] == "acme")
        #expect(server.server.stats.messagesRejected.load(ordering: .relaxed) == 0)
        call.send(wire.dtmf("5"))
        for _ in 0..<200 where server.server.stats.dtmfDigits.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(server.server.stats.dtmfDigits.load(ordering: .relaxed) == 1)
        await call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.framesDropped.load(ordering: .relaxed) == 0)
        try await server.stop()
    }

    /// The demo agent greets, answers, and is interrupted: its audio carries the provider's playback
    /// markers (ACS: the playout clock), and the caller talking over it sends that provider's flush.
    /// One provider at a time (each call synthesises speech and runs `standard` in real time).
    @Test(.serialized, arguments: [ExotelWire(rateHz: 8000), ACSWire(rateHz: 16000), TelnyxWire(codec: .pcmu), VonageWire(rateHz: 16000),
                      PlivoWire(muLaw: true)] as [any ProviderWire])
    func bargeInSendsTheProvidersFlush(_ wire: any ProviderWire) async throws {
        let server = try await TestServer {
            $0.agent = "demo"
            $0.graph = .standard
            $0.call = .init()
        }
        var caller = try TestCaller(call: try await Self.open(wire, on: server))
        let second = wire.bytesPerMs * 1000
        var heard = try await caller.silence { $0.audio.count > second && $0.playedBytes == $0.audio.count }
        let greeting = heard.audio.count
        #expect(greeting > second, "\(wire.provider): a greeting of more than a second")
        if wire.markPlayed("x") != nil { #expect(heard.marks > 0, "markers follow the agent's audio") }

        _ = try await caller.say(3)
        heard = try await caller.silence { $0.audio.count > greeting + second }
        let onset = try await caller.say(4)
        heard = caller.call.received
        try #require(heard.clears.count == 1, "\(wire.provider): the interruption sent exactly one flush")
        let clear = heard.clears[0]
        let reactionMs = Double(Int64(clear.nanos) - Int64(onset)) / 1e6
        print("\(wire.provider) barge-in: flush \(reactionMs) ms after the caller's onset")
        #expect(reactionMs < 1000)
        #expect(heard.audio.count == clear.audioBytes, "no agent audio after the flush while the caller spoke")
        #expect(server.server.stats.bargeIns.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.messagesRejected.load(ordering: .relaxed) == 0)
        await caller.call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// Malformed variants of every message type each provider sends, as (message, rejection reason);
    /// sent mid-call after 20 frames of audio (chunks 1–20).
    static func malformed(_ wire: any ProviderWire) -> [(ClientMessage, String)] {
        let common: [(ClientMessage, String)] = [(.text("not json"), "malformed_json"), (.text("[1,2]"), "not_an_object")]
        switch wire {
        case let exotel as ExotelWire:
            let sid = exotel.streamSid
            return common + [
                (.text(#"{"stream_sid":"\#(sid)"}"#), "missing_field"),
                (.text(#"{"event":"media","stream_sid":"\#(sid)"}"#), "missing_field"),
                (.text(#"{"event":"media","stream_sid":"\#(sid)","media":{"chunk":"21","timestamp":"400","payload":"@@@@"}}"#), "bad_payload"),
                (.text(#"{"event":"media","stream_sid":"\#(sid)","media":{"chunk":"21","timestamp":"400","payload":"AAAA"}}"#), "bad_payload"),
                (.text(#"{"event":"media","stream_sid":"\#(sid)","media":{"chunk":"2x","timestamp":"400","payload":"AAAAAA=="}}"#), "bad_counter"),
                (.text(#"{"event":"media","stream_sid":"MZother","media":{"chunk":"21","timestamp":"400","payload":"AAAAAA=="}}"#), "wrong_stream_sid"),
                (.text(#"{"event":"mark","stream_sid":"\#(sid)","mark":{}}"#), "missing_field"),
                (.text(#"{"event":"dtmf","stream_sid":"\#(sid)","dtmf":{"digit":"5\n"}}"#), "bad_dtmf"),
                (exotel.opening(parameters: [:])[1], "second_start"),
                (.binary([1, 2, 3, 4]), "binary_frame"),
            ]
        case let acs as ACSWire:
            return common + [
                (.text(#"{"audioData":{}}"#), "missing_field"),
                (.text(#"{"kind":"AudioData"}"#), "missing_field"),
                (.text(#"{"kind":"AudioData","audioData":{"data":"@@@@","silent":false}}"#), "bad_payload"),
                (.text(#"{"kind":"AudioData","audioData":{"data":"AAAA","silent":false}}"#), "bad_payload"),
                (.text(#"{"kind":"DtmfData","dtmfData":{"data":"x"}}"#), "bad_dtmf"),
                (acs.opening(parameters: [:])[0], "second_start"),
                (.binary([1, 2, 3, 4]), "binary_frame"),
            ]
        case let telnyx as TelnyxWire:
            let id = telnyx.streamID
            return common + [
                (.text(#"{"event":"media","media":{"track":"inbound","timestamp":"400","payload":"//8="},"stream_id":"\#(id)"}"#), "missing_field"),
                (.text(#"{"event":"media","media":{"track":"inbound","chunk":"abc","payload":"//8="},"stream_id":"\#(id)"}"#), "bad_counter"),
                (.text(#"{"event":"media","media":{"track":"inbound","chunk":"21","payload":"!"},"stream_id":"\#(id)"}"#), "bad_payload"),
                (telnyx.media(Array(repeating: 0xFF, count: 160), chunk: 3, timestampMs: 40), "late_frame"),
                (.text(#"{"event":"mark","mark":{"name":""},"stream_id":"\#(id)"}"#), "missing_field"),
                (.text(#"{"event":"dtmf","dtmf":{"digit":"E"},"stream_id":"\#(id)"}"#), "bad_dtmf"),
                (telnyx.opening(parameters: [:])[1], "second_start"),
                (.binary([1, 2, 3, 4]), "binary_frame"),
            ]
        case let vonage as VonageWire:
            return common + [
                (.binary(Array(repeating: 0, count: vonage.bytesPerFrame - 2)), "bad_frame_size"),
                (.binary(Array(repeating: 0, count: vonage.bytesPerFrame * 2)), "bad_frame_size"),
                (.text(#"{"event":"websocket:notify","payload":{}}"#), "missing_field"),
                (.text(#"{"event":"websocket:dtmf","digit":"12","duration":260}"#), "bad_dtmf"),
                (.text(#"{"content-type":"audio/l16;rate=16000"}"#), "missing_field"),
                (vonage.opening(parameters: [:])[0], "second_start"),
            ]
        case let plivo as PlivoWire:
            let id = plivo.streamID
            return common + [
                (.text(#"{"event":"media","streamId":"\#(id)"}"#), "missing_field"),
                (.text(#"{"event":"media","streamId":"\#(id)","media":{"chunk":21,"timestamp":"1","payload":"@"}}"#), "bad_payload"),
                (.text(#"{"event":"media","streamId":"\#(id)","media":{"chunk":-1,"timestamp":"1","payload":"//8="}}"#), "bad_counter"),
                (.text(#"{"event":"media","streamId":"other","media":{"chunk":21,"timestamp":"1","payload":"//8="}}"#), "wrong_stream_sid"),
                (.text(#"{"event":"playedStream","streamId":"\#(id)"}"#), "missing_field"),
                (.text(#"{"event":"dtmf","streamId":"\#(id)","dtmf":{"digit":""}}"#), "missing_field"),
                (plivo.opening(parameters: [:])[0], "second_start"),
                (.binary([1, 2, 3, 4]), "binary_frame"),
            ]
        default:
            return common
        }
    }

    /// Every malformed variant is rejected with its reason and counted; the call goes on (its audio
    /// still echoes, complete), and a healthy call on the same daemon never notices.
    @Test(arguments: [ExotelWire(rateHz: 8000), ACSWire(rateHz: 16000), TelnyxWire(codec: .pcmu), VonageWire(rateHz: 16000),
                      PlivoWire(muLaw: true)] as [any ProviderWire])
    func malformedMessagesAreRejectedAndTheCallGoesOn(_ wire: any ProviderWire) async throws {
        let server = try await TestServer()
        let stats = server.server.stats
        let speech = try TestSpeech.frames(for: wire)
        let healthy = try await Self.open(wire, on: server)
        let healthyAudio = Array(speech[100..<300])
        async let healthyDone: Void = healthy.sendAudio(healthyAudio, intervalMs: 10)

        let call = try await Self.open(wire, on: server)
        try await call.sendAudio(Array(speech.prefix(20)), intervalMs: 0)
        _ = try await call.wait { $0.audio.count >= 20 * wire.bytesPerFrame }
        let variants = Self.malformed(wire)
        for (message, _) in variants { call.send(message) }
        call.send(.text(#"{"event":"something-new","kind":"SomethingNew"}"#))
        let expected = Dictionary(variants.map { ($0.1, UInt64(1)) }, uniquingKeysWith: +)
        for _ in 0..<500 where stats.messagesRejected.load(ordering: .relaxed) < UInt64(variants.count)
            || stats.unknownEvents.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(stats.rejections == expected, "\(wire.provider): every variant rejected with its reason")
        #expect(stats.unknownEvents.load(ordering: .relaxed) == 1, "an unknown event is counted and ignored")

        // The call goes on: more speech comes back complete after what came before.
        let more = Array(speech[20..<60])
        try await call.sendAudio(more, firstFrame: 21, intervalMs: 0)
        let got = try await call.wait { wire.isEcho($0.audio, of: Array(speech.prefix(60))) }
        #expect(wire.isEcho(got.audio, of: Array(speech.prefix(60))), "\(wire.provider): the call's audio is untouched")
        #expect(got.closeCode == nil && !got.closed)

        try await healthyDone
        let healthyGot = try await healthy.wait { wire.isEcho($0.audio, of: healthyAudio) }
        #expect(wire.isEcho(healthyGot.audio, of: healthyAudio), "the other call never noticed")
        await call.client.close()
        await healthy.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// Telnyx: a chunk that never comes is given up after four later ones wait, one frame of silence
    /// in its place (counted); the rest play in order.
    @Test func telnyxLostChunkBecomesOneFrameOfSilence() async throws {
        let server = try await TestServer()
        let wire = TelnyxWire(codec: .pcmu)
        let speech = Array(try TestSpeech.frames(for: wire).prefix(40))
        let call = try await Self.open(wire, on: server)
        try await call.sendAudio(speech, intervalMs: 0, order: Array(0..<10) + Array(11..<40))
        let got = try await call.wait { $0.audio.count >= 40 * 160 }
        var expected = speech
        expected[10] = Array(repeating: 0xFF, count: 160)
        #expect(got.audio == expected.flatMap { $0 })
        #expect(server.server.stats.silenceFramesInserted.load(ordering: .relaxed) == 1)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// Telnyx OPUS at 16 kHz: packets sent out of order (and one lost) are put back in order and
    /// decoded by the graph's Opus node (the lost one concealed, counted); the echo comes back one
    /// 20 ms packet per message, and decodes to the speech the daemon heard.
    @Test func telnyxOpusEchoIsTheSpeechInWholePackets() async throws {
        let server = try await TestServer()
        let wire = TelnyxWire(codec: .opus, rateHz: 16000)
        let packets = Array(try TestSpeech.frames(for: wire).prefix(200))
        let lost = 150
        let call = try await Self.open(wire, on: server)
        try await call.sendAudio(packets, intervalMs: 5, order: Self.swappedPairs(200).filter { $0 != lost })
        let got = try await call.wait { $0.messageSizes.count >= 200 }
        #expect(got.messageSizes.count == 200, "one packet per message, every frame back (the lost one concealed)")

        // Each message is one 20 ms packet.
        var offset = 0
        var echoed: [[UInt8]] = []
        for size in got.messageSizes {
            let packet = Array(got.audio[offset..<(offset + size)])
            offset += size
            #expect(packet.withUnsafeBufferPointer { vd_opus_packet_samples($0.baseAddress!, size, 16000) } == 320)
            echoed.append(packet)
        }
        // What the daemon heard: the packets in order, the lost one concealed by the decoder.
        var heard = packets
        heard[lost] = []
        let reference = try Self.decodeOpus(heard, rateHz: 16000)
        let echo = try Self.decodeOpus(echoed, rateHz: 16000)
        // Opus adds a few ms of look-ahead on each encode: the best lag within 30 ms.
        let similarity = RecordingTests.match(reference, echo, maxLag: 480).correlation
        #expect(similarity > 0.85, "the echo decodes to the speech (normalised correlation \(similarity))")
        #expect(server.server.stats.silenceFramesInserted.load(ordering: .relaxed) == 1)
        #expect(server.server.stats.messagesRejected.load(ordering: .relaxed) == 0)

        // A 40 ms packet (two frames, TOC code 1) is refused with its reason; the call goes on.
        let first = packets[0]
        call.send(wire.media([first[0] & 0xFC | 0x01] + first.dropFirst() + first.dropFirst(), chunk: 201, timestampMs: 4000))
        for _ in 0..<200 where server.server.stats.messagesRejected.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.server.stats.rejections == ["bad_opus_packet": 1])
        await call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.framesDropped.load(ordering: .relaxed) == 0)
        try await server.stop()
    }

    /// Opus packets (an empty one: lost) → 16-bit PCM, through the graph's own decoder node.
    static func decodeOpus(_ packets: [[UInt8]], rateHz: Int) throws -> [Int16] {
        let chain = try NodeChain(nodes: [OpusDecodeNode()], input: AudioFormat(encoding: .opus, sampleRateHz: rateHz))
        var pcm: [Int16] = []
        for packet in packets {
            chain.input.pointee.packetByteCount = packet.count
            packet.withUnsafeBytes { chain.input.pointee.bytes.copyMemory(from: $0) }
            chain.run()
            pcm += chain.output.pointee.pcm16
        }
        return pcm
    }

    /// Exotel plays chunks of 100 ms at least: a tail of 60 ms is padded with silence to 100 ms and
    /// sent once it has waited as long as it would play — even when the caller sends nothing more
    /// to wake the call.
    @Test func exotelShortTailIsPaddedWithoutMoreAudio() async throws {
        let server = try await TestServer()
        let wire = ExotelWire(rateHz: 8000)
        let speech = Array(try TestSpeech.frames(for: wire)[100..<108])
        let call = try await Self.open(wire, on: server)
        // 5 frames, echoed as one chunk; then 3 more, and nothing after them.
        try await call.sendAudio(Array(speech.prefix(5)), intervalMs: 0)
        _ = try await call.wait(timeout: .seconds(5)) { $0.audio.count >= 5 * wire.bytesPerFrame }
        try await call.sendAudio(Array(speech.suffix(3)), firstFrame: 6, intervalMs: 0)
        let got = try await call.wait(timeout: .seconds(5)) { $0.audio.count >= 10 * wire.bytesPerFrame }
        #expect(got.audio.count == 10 * wire.bytesPerFrame, "8 frames and 2 of padding")
        #expect(wire.isEcho(got.audio, of: speech))
        #expect(got.messageSizes.allSatisfy { $0 >= 5 * wire.bytesPerFrame })
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}
