import Atomics
import CAudio
import Foundation
import MediaGraph

/// The `/stats` document: a superset of what teams already parse from the systems voiced replaces
/// (`status`, `active_connections`, `max_connections`, `connection_types` by provider,
/// `connections[]` with each call's ids, provider, agent, state, age, frames and drops), then
/// voiced's own counters and latency over ended calls.
///
/// - Threading: a value, made on any thread from thread-safe sources (``ServerState``).
struct StatsReport: Codable {
    /// One live call.
    struct Connection: Codable {
        var callId: UInt64
        var provider: String
        var providerCallId: String
        var streamId: String
        var from: String?
        var to: String?
        var agent: String
        var graph: String
        var state: String
        var ageSeconds: Double
        var mediaThread: Int
        var framesIn: UInt64
        var framesOut: UInt64
        var framesDropped: UInt64
        /// In-server latency so far, as the upper bound of its bucket (``LiveHistograms``).
        var uplinkP50Ms: Double
        var uplinkP99Ms: Double
        var downlinkP50Ms: Double
        var downlinkP99Ms: Double

        enum CodingKeys: String, CodingKey {
            case callId = "call_id", provider, providerCallId = "provider_call_id", streamId = "stream_id", from, to, agent, graph, state
            case ageSeconds = "age_seconds", mediaThread = "media_thread", framesIn = "frames_in", framesOut = "frames_out"
            case framesDropped = "frames_dropped", uplinkP50Ms = "uplink_p50_ms", uplinkP99Ms = "uplink_p99_ms"
            case downlinkP50Ms = "downlink_p50_ms", downlinkP99Ms = "downlink_p99_ms"
        }

        init(_ call: LiveCall, nowNanos: UInt64) {
            let record = call.record
            callId = record.callID
            provider = record.call.provider
            providerCallId = record.call.callID
            streamId = record.call.streamID
            from = record.call.from
            to = record.call.to
            agent = call.agent
            graph = call.graph
            state = "\(call.state)"
            ageSeconds = Double(nowNanos &- record.startedNanos) / 1e9
            mediaThread = record.mediaThread
            framesIn = call.framesIn
            framesOut = call.framesOut
            framesDropped = call.framesDropped
            let (up, down) = (call.uplinkLatency, call.downlinkLatency)
            uplinkP50Ms = Double(up.nanos(atPercentile: 50)) / 1e6
            uplinkP99Ms = Double(up.nanos(atPercentile: 99)) / 1e6
            downlinkP50Ms = Double(down.nanos(atPercentile: 50)) / 1e6
            downlinkP99Ms = Double(down.nanos(atPercentile: 99)) / 1e6
        }
    }

    /// `ok`, or `draining` once the server stopped taking calls.
    var status: String
    var activeConnections: Int
    var maxConnections: Int
    /// Live calls by provider.
    var connectionTypes: [String: Int]
    var connections: [Connection]

    struct Latency: Codable {
        var frames: UInt64
        var p50Us: Double
        var p99Us: Double
        var maxUs: Double
        init(_ h: LatencyHistogram) {
            frames = h.count
            p50Us = Double(h.nanos(atPercentile: 50)) / 1000
            p99Us = Double(h.nanos(atPercentile: 99)) / 1000
            maxUs = Double(h.maxNanos) / 1000
        }
    }
    var activeCalls: Int
    /// The process's resident memory (KiB), and how often freed heap was handed back.
    var residentKiB: Int
    var heapTrims: UInt64
    var attachedToMediaThreads: Int
    var connectionsOpen: Int
    /// TCP connections that have not upgraded (yet): control-plane requests, slow or idle clients.
    var httpConnectionsOpen: Int
    var callsStarted: Int
    var callsEnded: Int
    /// Calls (and media connections that never started one) ended, by reason (``CallEndReason``)
    /// and provider: `{"caller_hung_up": {"twilio": 3}}`.
    var callsEndedByReason: [String: [String: UInt64]]
    var callsOverBudget: UInt64
    /// Calls refused for want of capacity (at their upgrade or `start`), by reason.
    var callsRefused: [String: UInt64]
    /// Media upgrades and webhooks refused for failed authentication, by provider.
    var authRefusals: [String: UInt64]
    var framesIn: UInt64
    var framesOut: UInt64
    var framesDropped: UInt64
    var silenceFramesInserted: UInt64
    var silenceFramesRefused: UInt64
    var framesOverRealTime: UInt64
    var readPauses: UInt64
    /// Connections closed by a limit (timeouts, floods), by kind (docs/twilio.md).
    var limitClosures: [String: UInt64]
    var messagesRejected: UInt64
    var rejectionsByReason: [String: UInt64]
    var unknownEvents: UInt64
    var providerErrors: UInt64
    var speechStarts: UInt64
    /// Events the graphs' own nodes raised (``NodeEvent``), by name.
    var nodeEvents: [String: UInt64]
    var bargeIns: UInt64
    var agentFailures: UInt64
    var clippedSamples: UInt64
    var mediaThreadWakeups: [UInt64]
    /// Call records written, and dropped (queue full or a failed write); absent when records are off.
    var recordsWritten: UInt64?
    var recordsDropped: UInt64?
    /// Over ended calls: provider frame arrival → the agent's frame queued for its socket.
    var uplinkLatency: Latency
    /// Over ended calls: agent audio arrival → the provider's frame queued (pacing included).
    var downlinkLatency: Latency
        var nodeLatency: [String: Latency]

    enum CodingKeys: String, CodingKey {
        case status, activeConnections = "active_connections", maxConnections = "max_connections"
        case connectionTypes = "connection_types", connections
        case activeCalls, residentKiB, heapTrims, attachedToMediaThreads, connectionsOpen, httpConnectionsOpen, callsStarted
        case callsEnded, callsEndedByReason, callsOverBudget, callsRefused, authRefusals, framesIn, framesOut, framesDropped
        case silenceFramesInserted, silenceFramesRefused, framesOverRealTime, readPauses, limitClosures, messagesRejected
        case rejectionsByReason, unknownEvents, providerErrors, speechStarts, nodeEvents, bargeIns, agentFailures, clippedSamples
        case mediaThreadWakeups, recordsWritten, recordsDropped, uplinkLatency, downlinkLatency, nodeLatency
    }

}

extension ServerState {
    /// The `/stats` document as it stands.
    func statsReport() -> StatsReport {
        let latency = stats.latencySnapshot
        let live = registry.live
        let now = MediaClock.nanos()
        return StatsReport(
            status: admission.isDraining ? "draining" : "ok",
            activeConnections: live.count,
            maxConnections: admission.maxCalls,
            connectionTypes: Dictionary(live.map { ($0.record.call.provider, 1) }, uniquingKeysWith: +),
            connections: live.map { StatsReport.Connection($0, nowNanos: now) },
            activeCalls: live.count,
            residentKiB: vd_resident_kib(),
            heapTrims: stats.heapTrims.load(ordering: .relaxed),
            attachedToMediaThreads: pool.attachedCalls,
            connectionsOpen: stats.connectionsOpen.load(ordering: .relaxed),
            httpConnectionsOpen: stats.httpConnectionsOpen.load(ordering: .relaxed),
            callsStarted: stats.callsStarted.load(ordering: .relaxed),
            callsEnded: stats.callsEnded.load(ordering: .relaxed),
            callsEndedByReason: stats.endings.reduce(into: [:]) { $0[$1.key.reason.rawValue, default: [:]][$1.key.provider] = $1.value },
            callsOverBudget: stats.callsOverBudget.load(ordering: .relaxed),
            callsRefused: stats.refusals,
            authRefusals: stats.authRefusals,
            framesIn: stats.framesIn.load(ordering: .relaxed),
            framesOut: stats.framesOut.load(ordering: .relaxed),
            framesDropped: stats.framesDropped.load(ordering: .relaxed),
            silenceFramesInserted: stats.silenceFramesInserted.load(ordering: .relaxed),
            silenceFramesRefused: stats.silenceFramesRefused.load(ordering: .relaxed),
            framesOverRealTime: stats.framesOverRealTime.load(ordering: .relaxed),
            readPauses: stats.readPauses.load(ordering: .relaxed),
            limitClosures: stats.limitClosures,
            messagesRejected: stats.messagesRejected.load(ordering: .relaxed),
            rejectionsByReason: stats.rejections,
            unknownEvents: stats.unknownEvents.load(ordering: .relaxed),
            providerErrors: stats.providerErrors.load(ordering: .relaxed),
            speechStarts: stats.speechStarts.load(ordering: .relaxed),
            nodeEvents: stats.nodeEvents,
            bargeIns: stats.bargeIns.load(ordering: .relaxed),
            agentFailures: stats.agentFailures.load(ordering: .relaxed),
            clippedSamples: stats.clippedSamples.load(ordering: .relaxed),
            mediaThreadWakeups: pool.threads.map(\.wakeups),
            recordsWritten: records?.written.load(ordering: .relaxed),
            recordsDropped: records?.dropped.load(ordering: .relaxed),
            uplinkLatency: .init(latency.uplink),
            downlinkLatency: .init(latency.downlink),
            nodeLatency: latency.nodes.mapValues(StatsReport.Latency.init))
    }

    /// `/stats`, pretty-printed JSON.
    func statsJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(statsReport())) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
