import Bridge
import Dispatch
import MediaGraph
import Testing
import VoicedTesting

/// The built-in demo agent on the live daemon (the `standard` graph, real pacing), heard through a
/// fake Twilio call that plays and returns marks as Twilio does, speaking real speech in real time.
@Suite struct DemoAgentTests {
    /// One caller streaming real-time audio: silence, or sentences of the test speech.
    struct Caller {
        let call: TwilioTestCall
        let speech: [[UInt8]]
        let sentences: [(start: Int, end: Int)]
        var chunk = 1
        static let silence = [UInt8](repeating: 0xFF, count: 160)

        mutating func silence(ms: Int) async throws { try await send(Array(repeating: Self.silence, count: ms / 20)) }

        /// Says sentence `index` (with 100 ms around it); returns when its speech began (monotonic ns).
        mutating func say(_ index: Int) async throws -> UInt64 {
            let s = sentences[index]
            let from = (s.start - 100) / 20, to = (s.end + 100) / 20
            let onset = DispatchTime.now().uptimeNanoseconds + 100_000_000
            try await send(Array(speech[from..<to]))
            return onset
        }

        /// Streams silence until `condition` holds for what came back (at most `timeoutMs`).
        mutating func silence(until condition: (TwilioTestCall.Received) -> Bool, timeoutMs: Int = 20_000) async throws -> TwilioTestCall.Received {
            var waited = 0
            while !condition(call.received), waited < timeoutMs {
                try await silence(ms: 100)
                waited += 100
            }
            return call.received
        }

        private mutating func send(_ frames: [[UInt8]]) async throws {
            try await call.sendAudio(frames, firstChunk: chunk)
            chunk += frames.count
        }
    }

    /// A new user's first minute: the greeting, their words said back, and the agent falling silent
    /// the moment they talk over it — then answering the interruption.
    @Test func greetsRepeatsAndStopsWhenInterrupted() async throws {
        let server = try await TestServer {
            $0.agent = "demo"
            $0.graph = .standard
            $0.call = .init()
        }
        var caller = Caller(call: try await server.call(), speech: try TestSpeech.frames(), sentences: try TestSpeech.sentences())
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
