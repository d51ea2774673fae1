import NIOCore

/// What the HTTP side answers: the control-plane documents (`/health`, `/ready`, `/stats`,
/// `/metrics`, `/dashboard`), the
/// providers' webhooks (each ``ProviderGateway``), and what a plain request to a media path gets.
///
/// - Threading: any thread (reads thread-safe registry and stats).
struct Routes: Sendable {
    let state: ServerState
    let gateways: GatewayContext

    /// The reply to `request`, completed on `loop` (at once unless a webhook waits on a key fetch).
    func respond(to request: HTTPRequest, on loop: EventLoop) -> EventLoopFuture<HTTPReply> {
        if let endpoint = ProviderEndpoint.matching(request.path),
           let reply = endpoint.gateway.answer(request, gateways, on: loop) {
            return reply
        }
        return loop.makeSucceededFuture(respond(to: request))
    }

    /// The replies that need nothing fetched.
    private func respond(to request: HTTPRequest) -> HTTPReply {
        let path = request.path
        if ProviderEndpoint.matching(path) != nil {
            return .text(426, "this is a WebSocket endpoint: connect with an Upgrade: websocket request\n")
        }
        guard request.method == .GET else { return .text(405, "only GET is served here\n") }
        switch path {
        case "/health":
            return .text(200, "ok\n")
        case "/ready":
            // A load balancer sends new calls elsewhere while this says 503.
            let admission = state.admission
            if admission.isReady { return .text(200, "ok\n") }
            return .text(503, admission.isDraining ? "draining\n" : "at capacity: \(admission.count)/\(admission.maxCalls) calls\n")
        case "/stats":
            return .json(state.statsJSON())
        case DashboardPage.path:
            return HTTPReply(status: 200, contentType: "text/html; charset=utf-8", body: DashboardPage.html)
        case "/metrics":
            return HTTPReply(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: state.metricsText())
        default:
            return .text(404, "not found: \(path)\n")
        }
    }
}
