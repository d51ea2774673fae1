import Bridge
import NIOPosix
import Testing
import VoicedTesting

/// `voiced loadgen --fake-agent-port` end to end, shortened: the live daemon with the `openai`
/// connector pointed at the load generator's fake Realtime agent, three calls of real speech for
/// about six seconds, every figure joined from both sides of the daemon.
@Suite struct LoadGenFakeAgentTests {
    @Test func threeCallsAreMeasuredThroughTheFakeAgent() async throws {
        var config = LoadGenerator.Configuration()
        config.calls = 3
        config.seconds = 6
        config.frames = try TestSpeech.frames()
        config.fakeAgent = LoadGenerator.FakeAgent(port: 0, sentenceStartFrames: try TestSpeech.sentences().map { $0.start / 20 })
        let fake = try await LoadGenerator(configuration: config).startFakeAgent()
        let server = try await TestServer {
            $0.agentProfiles = ["realtime": .openai(RealtimeSettings(url: "ws://127.0.0.1:\(fake.port)/v1/realtime", apiKey: "test-key"))]
            $0.agent = "realtime"
            $0.call = .init()
        }
        config.port = server.port
        let report = try await LoadGenerator(configuration: config).run(fakeAgent: fake)
        let agent = try #require(report.agent, "fake-agent mode reports agent figures")

        #expect(report.callsConnected == 3)
        #expect(agent.agentConnections == 3, "one agent connection per call: connection i is call i")
        #expect(agent.framesSent == 3 * 300)
        #expect(agent.uplink.count == agent.framesSent, "an uplink latency for every frame")
        #expect(agent.appendsLost == 0)
        #expect(report.framesLost == 0)
        #expect(agent.appendPayloadMismatches == 0, "μ-law passes through the passthrough graph byte for byte")
        // The first sentence ends at 3.9 s: each call's first turn is answered within the run.
        #expect(agent.responsesHeard >= 1, "\(agent.responses) responses sent, \(agent.responsesHeard) heard")
        #expect(agent.downlink.count == UInt64(agent.responsesHeard))
        #expect(agent.mediaReceived > 0)
        #expect(agent.marksReturned > 0, "marks come back once played, as Twilio returns them")

        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await fake.stop()
    }

    /// The load generator's Twilio playback runs on its ticker's clock: a mark comes back only once
    /// the audio before it has played at 8 bytes per ms, at once when nothing is queued, and a
    /// `clear` drops the audio and returns the marks behind it.
    @Test func externallyTickedPlaybackReturnsMarksOncePlayed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let steps: [String] = try await loop.submit {
            var steps: [String] = []
            let playback = ProviderPlayback(externallyTickedOn: loop) { steps.append("mark \($0)") }
            let start = MonotonicClock.nanos()
            playback.media(bytes: 160)
            playback.mark("a")
            playback.advance(nowNanos: start + 5_000_000)
            steps.append("queued \(playback.queuedBytes > 0 && playback.queuedBytes < 160)")
            playback.advance(nowNanos: start + 30_000_000)
            steps.append("played \(playback.playedBytes) queued \(playback.queuedBytes)")
            playback.mark("b")
            playback.media(bytes: 160)
            playback.mark("c")
            playback.clear()
            steps.append("cleared \(playback.clearedBytes) queued \(playback.queuedBytes) returned \(playback.marksReturned)")
            return steps
        }.get()
        #expect(steps == ["queued true", "mark a", "played 160 queued 0", "mark b", "mark c", "cleared 160 queued 0 returned 3"])
        try await group.shutdownGracefully()
    }
}
