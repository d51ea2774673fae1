import Foundation
import MediaGraph

/// What the dashboard shows, sent to the page once a second (``DashboardFeed``): the instance's
/// state, its live calls (as `/stats` lists them), the in-server latency histogram both ways, each
/// node's cost per frame, and the latest barge-in reaction times.
///
/// - Threading: a value, made on any thread from ``ServerState``.
struct DashboardSnapshot: Encodable {
    struct Latency: Encodable {
        /// Upper bounds of the buckets (ms); counts have one more entry, for durations past the last.
        var boundsMs: [Double]
        var uplink: [UInt64]
        var downlink: [UInt64]

        enum CodingKeys: String, CodingKey { case boundsMs = "bounds_ms", uplink, downlink }
    }

    struct NodeCost: Encodable {
        var direction: String
        var node: String
        var frames: UInt64
        var meanUs: Double
        var p99Us: Double

        enum CodingKeys: String, CodingKey { case direction, node, frames, meanUs = "mean_us", p99Us = "p99_us" }
    }

    var server: String
    var status: String
    var ready: Bool
    var activeCalls: Int
    var maxCalls: Int
    var callsStarted: Int
    var callsEnded: Int
    var framesDropped: UInt64
    var calls: [StatsReport.Connection]
    var latency: Latency
    var nodes: [NodeCost]
    var bargeInReactionMs: [Int]

    enum CodingKeys: String, CodingKey {
        case server, status, ready, activeCalls = "active_calls", maxCalls = "max_calls", callsStarted = "calls_started"
        case callsEnded = "calls_ended", framesDropped = "frames_dropped", calls, latency, nodes
        case bargeInReactionMs = "barge_in_reaction_ms"
    }
}

extension ServerState {
    /// The dashboard's data as it stands, as JSON.
    func dashboardJSON() -> String {
        let media = stats.media.snapshot()
        let now = MediaClock.nanos()
        let snapshot = DashboardSnapshot(
            server: serverID, status: admission.isDraining ? "draining" : "ok", ready: admission.isReady,
            activeCalls: registry.count, maxCalls: admission.maxCalls,
            callsStarted: stats.callsStarted.load(ordering: .relaxed), callsEnded: stats.callsEnded.load(ordering: .relaxed),
            framesDropped: stats.framesDropped.load(ordering: .relaxed),
            calls: registry.live.map { StatsReport.Connection($0, nowNanos: now) },
            latency: .init(boundsMs: LiveHistograms.bucketBounds.map { Double($0) / 1e6 }, uplink: media.uplink.counts,
                           downlink: media.downlink.counts),
            nodes: media.nodes.sorted { ($0.key.direction, $0.key.node) > ($1.key.direction, $1.key.node) }.map { key, timing in
                .init(direction: key.direction, node: key.node, frames: timing.total, meanUs: timing.meanNanos / 1000,
                      p99Us: Double(timing.nanos(atPercentile: 99)) / 1000)
            },
            bargeInReactionMs: stats.timings.recentBargeInReactionsMs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(snapshot)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
