import Bridge
import Logging
import ServiceLifecycle

/// `voiced serve` as a service of swift-service-lifecycle's group, which turns SIGTERM and SIGINT
/// into a graceful shutdown: stop taking calls (`/ready` 503, new media upgrades 503), let the calls
/// in progress finish for up to the drain timeout, hang up the rest (reason `shutdown`), file their
/// reports, stop, and exit 0.
///
/// - Threading: `run` runs on the group's task; the server's own threads do the work.
struct DaemonService: Service {
    let server: VoicedServer
    let drainTimeout: Duration
    let logger: Logger

    func run() async throws {
        // Returns when the group shuts down gracefully (a signal); throws if it is cancelled.
        try? await gracefulShutdown()
        let started = ContinuousClock.now
        let hungUp = await server.drain(timeout: drainTimeout)
        logger.info("drained", metadata: [
            "took": "\(started.duration(to: .now))", "hung_up": "\(hungUp)",
            "calls_started": "\(server.stats.callsStarted.load(ordering: .relaxed))",
            "calls_ended": "\(server.stats.callsEnded.load(ordering: .relaxed))",
        ])
        try await server.stop()
    }
}
