import Bridge
import LoadGen
import Testing
import VoicedTesting

/// `voiced loadgen --provider`: the load generator speaks every provider's protocol to the daemon
/// and gets every frame back. One provider at a time: five daemons and generators at once would
/// starve the suite's timing-sensitive tests on a 2-core machine.
@Suite(.serialized) struct LoadGenProviderTests {
    @Test(arguments: ["exotel", "acs", "telnyx", "vonage", "plivo"])
    func everyFrameComesBack(_ provider: String) async throws {
        let server = try await TestServer()
        let wire = try #require(ProviderAudio.wire(named: provider))
        var config = LoadGenerator.Configuration()
        config.port = server.port
        config.path = wire.path
        config.wire = wire
        config.calls = 5
        config.seconds = 2
        config.rampSeconds = 0.2
        config.frames = try TestSpeech.frames()
        let report = try await LoadGenerator(configuration: config).run()
        #expect(report.callsConnected == 5)
        #expect(report.framesSent == 5 * 100)
        #expect(report.framesLost == 0, "\(provider): \(report.framesLost) frames lost")
        #expect(try await server.waitUntilIdle(timeout: .seconds(10)))
        #expect(server.server.stats.messagesRejected.load(ordering: .relaxed) == 0)
        try await server.stop()
    }
}
