import Bridge
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
        let expected = speech.flatMap { $0 }
        let received = try await call.wait { $0.audio.count >= expected.count }
        #expect(received.audio == expected, "\(wire.provider): the echo is the speech, complete and in order")
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
    @Test(arguments: [ExotelWire(rateHz: 8000), ACSWire(rateHz: 16000), TelnyxWire(codec: .pcmu), VonageWire(rateHz: 16000),
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
}
