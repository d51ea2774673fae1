import CAudio
import Foundation
import MediaGraph
import NIOCore

/// What the HTTP side answers: the control-plane documents (`/health`, `/ready`, `/stats`), the
/// providers' webhooks (each ``ProviderGateway``), and what a plain request to a media path gets.
///
/// - Threading: any thread (reads thread-safe registry and stats).
struct Routes: Sendable {
    let registry: CallRegistry
    let stats: BridgeStats
    let pool: MediaThreadPool
    let gateways: GatewayContext

    /// The reply to `request`, completed on `loop` (at once unless a webhook waits on a key fetch);
    /// `refusedUpgrade` says its media upgrade failed its check.
    func respond(to request: HTTPRequest, refusedUpgrade: Bool, on loop: EventLoop) -> EventLoopFuture<HTTPReply> {
        if !refusedUpgrade, let endpoint = ProviderEndpoint.matching(request.path),
           let reply = endpoint.gateway.answer(request, gateways, on: loop) {
            return reply
        }
        return loop.makeSucceededFuture(respond(to: request, refusedUpgrade: refusedUpgrade))
    }

    /// The replies that need nothing fetched.
    private func respond(to request: HTTPRequest, refusedUpgrade: Bool) -> HTTPReply {
        if refusedUpgrade { return .forbidden }
        let path = request.path
        if ProviderEndpoint.matching(path) != nil {
            return .text(426, "this is a WebSocket endpoint: connect with an Upgrade: websocket request\n")
        }
        guard request.method == .GET else { return .text(405, "only GET is served here\n") }
        switch path {
        case "/health", "/ready":
            return .text(200, "ok\n")
        case "/stats":
            return .json(statsJSON())
        default:
            return .text(404, "not found: \(path)\n")
        }
    }

    /// The `/stats` document.
    struct StatsReport: Codable {
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
        var callsOverBudget: UInt64
        /// Calls refused at `start` for want of capacity, by reason.
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
        var bargeIns: UInt64
        var agentFailures: UInt64
        var clippedSamples: UInt64
        var mediaThreadWakeups: [UInt64]
        /// Over ended calls: provider frame arrival → the agent's frame queued for its socket.
        var uplinkLatency: Latency
        /// Over ended calls: agent audio arrival → the provider's frame queued (pacing included).
        var downlinkLatency: Latency
        var nodeLatency: [String: Latency]
    }

    func report() -> StatsReport {
        let latency = stats.latencySnapshot
        return StatsReport(
            activeCalls: registry.count,
            residentKiB: vd_resident_kib(),
            heapTrims: stats.heapTrims.load(ordering: .relaxed),
            attachedToMediaThreads: pool.attachedCalls,
            connectionsOpen: stats.connectionsOpen.load(ordering: .relaxed),
            httpConnectionsOpen: stats.httpConnectionsOpen.load(ordering: .relaxed),
            callsStarted: stats.callsStarted.load(ordering: .relaxed),
            callsEnded: stats.callsEnded.load(ordering: .relaxed),
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
            bargeIns: stats.bargeIns.load(ordering: .relaxed),
            agentFailures: stats.agentFailures.load(ordering: .relaxed),
            clippedSamples: stats.clippedSamples.load(ordering: .relaxed),
            mediaThreadWakeups: pool.threads.map(\.wakeups),
            uplinkLatency: .init(latency.uplink),
            downlinkLatency: .init(latency.downlink),
            nodeLatency: latency.nodes.mapValues(StatsReport.Latency.init))
    }

    private func statsJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(report())) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
