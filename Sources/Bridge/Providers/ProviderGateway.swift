import Foundation
import Logging
import NIOCore

/// One provider's HTTP side (docs/providers.md, docs/security.md): how its media upgrades and
/// webhooks prove they come from it, and its answer webhooks (`/twilio/voice` → TwiML). Lives in
/// the provider's folder beside its dialect; ``ProviderEndpoint/all`` registers both.
///
/// - Threading: immutable; called on connections' event loops.
protocol ProviderGateway: Sendable {
    /// Checks a media socket's upgrade request; the future completes on `loop` (at once unless a
    /// key set must be fetched).
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<Authentication>
    /// Answers an HTTP request under the provider's path (`/twilio/voice`), or nil when the path is
    /// not one of its webhooks.
    func answer(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<HTTPReply>?
}

/// A gateway whose checks and answers need nothing fetched (all but ACS's): written as plain
/// functions, answered at once on the connection's event loop.
protocol ImmediateGateway: ProviderGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication
    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply?
}

extension ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<Authentication> {
        loop.makeSucceededFuture(authenticateUpgrade(request, context))
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<HTTPReply>? {
        answer(request, context).map { loop.makeSucceededFuture($0) }
    }
}

/// A request's standing.
enum Authentication: Equatable {
    /// Checked against the provider's secret.
    case verified
    /// No secret is configured for the provider (or checks are skipped): served, not trusted.
    case unchecked
    /// The check failed: refused (403), with the reason for the log (never the secret).
    case refused(String)
}

/// What gateways share: the secrets, the public URL, the log and the counters, the HTTP client
/// and the OpenID key sets it fetches.
struct GatewayContext: Sendable {
    var security: ProviderSecurity
    var logger: Logger
    var stats: BridgeStats
    var fetcher: any HTTPFetching
    var keySets: OpenIDKeySets

    /// The public base of this server for `request` as `https://host` (or `http://` behind a plain
    /// proxy): the configured public URL, else `X-Forwarded-Proto` / `X-Forwarded-Host`, else `Host`.
    func publicBase(_ request: HTTPRequest) -> String {
        if let url = security.publicURL { return url.hasSuffix("/") ? String(url.dropLast()) : url }
        let scheme = request.headers.first(name: "x-forwarded-proto")?.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? "http"
        let host = request.headers.first(name: "x-forwarded-host") ?? request.headers.first(name: "host") ?? "localhost"
        return "\(scheme == "https" || scheme == "wss" ? "https" : "http")://\(host)"
    }

    /// The WebSocket base matching ``publicBase(_:)``: `wss://host` (`ws://` for plain HTTP).
    func webSocketBase(_ request: HTTPRequest) -> String {
        let base = publicBase(request)
        return base.hasPrefix("https://") ? "wss://" + base.dropFirst("https://".count) : "ws://" + base.dropFirst("http://".count)
    }

    /// Whether checks apply: a secret is configured and checks are not skipped.
    func checks(_ secret: String?) -> String? {
        guard !security.skipAuthentication, let secret, !secret.isEmpty else { return nil }
        return secret
    }

    /// The media-token check for providers whose upgrade carries no signature: `/<provider>/<token>`.
    func mediaToken(_ request: HTTPRequest, provider: String, path: String) -> Authentication {
        guard let token = checks(security.mediaTokens[provider]) else { return .unchecked }
        let segment = request.path.dropFirst(path.count + 1)
        return constantTimeEqual(String(segment), token) ? .verified : .refused("the media path does not carry the configured token")
    }

    /// Counts and logs a refused request.
    func refuse(_ request: HTTPRequest, provider: String, reason: String) -> HTTPReply {
        stats.authRefused(provider)
        logger.warning("request refused: authentication failed", metadata: [
            "provider": "\(provider)", "path": .wire(request.path), "reason": "\(reason)",
            "peer": "\(request.remoteAddress?.description ?? "?")",
        ])
        return .forbidden
    }
}
