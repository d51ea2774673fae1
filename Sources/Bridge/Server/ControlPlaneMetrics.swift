import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// Timings the event loops record as they happen, through swift-metrics into a swift-prometheus
/// registry of the server's own (never the process-wide bootstrap, so several servers in one test
/// process keep apart): how long agents take to connect, and how long a barge-in takes from the
/// caller's first word to voiced clearing the provider. `/metrics` appends the registry's text.
///
/// - Threading: any thread except media threads.
final class ControlPlaneMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let reactions = NIOLockedValueBox<[Int]>([])
    /// Barge-in reactions kept for the dashboard.
    static let recentReactionsKept = 50

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["voiced_barge_in_reaction_seconds"] = [
            .milliseconds(20), .milliseconds(40), .milliseconds(60), .milliseconds(80), .milliseconds(100),
            .milliseconds(150), .milliseconds(200), .milliseconds(300), .milliseconds(500), .seconds(1), .seconds(2),
        ]
        self.factory = factory
    }

    /// An agent of profile `agent` connected after `nanos`.
    func agentConnected(agent: String, nanos: UInt64) {
        Metrics.Timer(label: "voiced_agent_connect_seconds", dimensions: [("agent", agent)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanos))
    }

    /// A barge-in cleared the provider `ms` of uplink media time after the caller began speaking.
    func bargeInReaction(ms: UInt64) {
        Metrics.Timer(label: "voiced_barge_in_reaction_seconds", factory: factory)
            .recordNanoseconds(Int64(clamping: ms * 1_000_000))
        reactions.withLockedValue { recent in
            recent.append(Int(clamping: ms))
            if recent.count > Self.recentReactionsKept { recent.removeFirst(recent.count - Self.recentReactionsKept) }
        }
    }

    /// The latest barge-in reactions (ms), oldest first.
    var recentBargeInReactionsMs: [Int] { reactions.withLockedValue { $0 } }

    /// The registry's metrics in Prometheus text format.
    var text: String { registry.emitToString() }
}
