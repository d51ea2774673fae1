@_exported import LoadGen
@_exported import MediaTesting
import Bridge
import Foundation
import Logging
import MediaGraph
import NIOConcurrencyHelpers
import NIOPosix

/// A real voiced daemon on 127.0.0.1 with a free port, plus an event loop group for clients.
public final class TestServer: Sendable {
    public let server: VoicedServer
    public let port: Int
    public let clients: MultiThreadedEventLoopGroup

    /// `logger`: where the daemon logs (default: critical only, or `VOICED_TEST_LOG`'s level).
    public init(logger: Logger? = nil, configure: (inout VoicedServer.Configuration) -> Void = { _ in }) async throws {
        var config = VoicedServer.Configuration()
        config.host = "127.0.0.1"
        config.port = 0
        config.mediaThreads = 2
        config.ioThreads = 2
        // The echo agent through the codec-only graph: what a test sends comes back, byte for byte.
        config.agent = "echo"
        config.graph = .passthrough
        // Tests send audio faster than real time; the echo keeps up only unpaced (pacing has its own tests).
        config.call = .unpaced
        // …so the real-time guard lets an hour through at once, and, since sanitizer builds starve
        // fifty concurrent clients for seconds, the connection timeouts are a minute, as is the idle
        // timeout (a test caller may stay silent while an agent speaks for 30 s); the hostile input
        // and lifecycle tests set their own.
        config.limits.mediaBurstMs = 3_600_000
        for timeout in [\ConnectionLimits.requestHead, \.requestBody, \.idle, \.start, \.mediaIdle] { config.limits[keyPath: timeout] = .seconds(60) }
        // Calls name their graph and agent in tests without signing their requests.
        config.security.trustCallParameters = true
        configure(&config)
        var quiet = Logger(label: "voiced-test")
        quiet.logLevel = ProcessInfo.processInfo.environment["VOICED_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        server = try VoicedServer(configuration: config, logger: logger ?? quiet)
        try await server.start()
        port = server.port!
        clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// A new fake Twilio call connected to `path`, with `headers` on the upgrade request.
    public func call(path: String = "/twilio", headers: [(String, String)] = []) async throws -> TwilioTestCall {
        try await TwilioTestCall.connect(port: port, path: path, headers: headers, group: clients)
    }

    /// A new fake call of `wire`'s provider connected to its path.
    public func call(_ wire: any ProviderWire, suffix: String = "", headers: [(String, String)] = []) async throws -> ProviderTestCall {
        try await ProviderTestCall.connect(port: port, wire: wire, suffix: suffix, headers: headers, group: clients)
    }

    /// Waits until no call, media-thread slot or connection is left, or `timeout` passes; returns
    /// whether everything was released.
    public func waitUntilIdle(timeout: Duration = .seconds(5)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Checked once more after the deadline: the task may have been starved past it.
            let late = ContinuousClock.now >= deadline
            if server.registry.count == 0, server.pool.attachedCalls == 0,
               server.stats.connectionsOpen.load(ordering: .relaxed) == 0 { return true }
            if late { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func stop() async throws {
        try await clients.shutdownGracefully()
        try await server.stop()
    }
}

extension TestSpeech {
    /// The test speech as 20 ms frames in `wire`'s format (``ProviderAudio``), converted once per
    /// format (resampling it costs a second of CPU).
    public static func frames(for wire: any ProviderWire) throws -> [[UInt8]] {
        let key = wire.format.description
        if let cached = converted.withLockedValue({ $0[key] }) { return cached }
        let frames = try ProviderAudio.frames(frames(), for: wire)
        converted.withLockedValue { $0[key] = frames }
        return frames
    }

    private static let converted = NIOLockedValueBox<[String: [[UInt8]]]>([:])
}
