import Bridge
import Dispatch
import MediaGraph
import Testing
import VoicedTesting

/// The built-in demo agent on the live daemon (the `standard` graph, real pacing), heard through a
/// fake Twilio call that plays and returns marks as Twilio does, speaking real speech in real time.
@Suite struct DemoAgentTests {
    /// A new user's first minute: the greeting, their words said back, and the agent falling silent
    /// the moment they talk over it — then answering the interruption.
    @Test func greetsRepeatsAndStopsWhenInterrupted() async throws {
        let server = try await TestServer {
            $0.agent = "demo"
            $0.graph = .standard
            $0.call = .init()
        }
        var caller = try TestCaller(call: try await server.call())
        caller.call.sendConnectedAndStart()

        // The greeting plays to the end (the provider has played all it was sent).
        var heard = try await caller.silence(until: { $0.audio.count > 8000 })
        #expect(heard.audio.count > 8000, "a greeting of more than a second")
        heard = try await caller.silence { $0.playedBytes == $0.audio.count && $0.audio.count > 8000 }
        let greeting = heard.audio.count
        #expect(heard.marks > 0, "marks follow the agent's audio")

        // A turn: the caller's words come back after "You said".
        _ = try await caller.say(1)
        let words = (caller.sentences[1].end - caller.sentences[1].start) * 8
        heard = try await caller.silence { $0.audio.count > greeting + words && $0.playedBytes == $0.audio.count }
        let reply = heard.audio.count - greeting
        #expect(reply > words, "the reply (\(reply / 8) ms) holds the caller's \(words / 8) ms of words")
        #expect(heard.clears.isEmpty)

        // Another turn; once its reply is playing, the caller talks over it.
        _ = try await caller.say(3)
        let before = heard.audio.count
        heard = try await caller.silence { $0.audio.count > before + 8000 }
        let onset = try await caller.say(4)
        heard = caller.call.received
        try #require(heard.clears.count == 1, "the interruption sent exactly one clear")
        let clear = heard.clears[0]
        let reactionMs = Double(Int64(clear.nanos) - Int64(onset)) / 1e6
        print("demo barge-in: clear \(reactionMs) ms after the caller's onset")
        #expect(reactionMs < 1000)
        #expect(heard.audio.count == clear.audioBytes, "no agent audio after the clear while the caller spoke")
        #expect(heard.clearedBytes > 0, "the provider dropped the rest of the reply")
        #expect(server.server.stats.bargeIns.load(ordering: .relaxed) == 1)

        // The interruption is a turn of its own: it is answered.
        heard = try await caller.silence { $0.audio.count > clear.audioBytes + 8000 }
        #expect(heard.audio.count > clear.audioBytes + 8000, "the interruption was answered")

        await caller.call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}
