import Foundation
import NIOCore
import NIOHTTP1

/// Decides whether the fake accepts a WebSocket upgrade, the way the real endpoints do
/// (docs/agents.md §1 "Connect", §2 "Connect"):
///
/// 1. `Behaviour.refuseUpgrade` → HTTP 503.
/// 2. The path: GA `/v1/realtime` (OpenAI) or `/openai/v1/realtime` (Azure OpenAI GA); Voice Live
///    `/voice-live/realtime`. Anything else → 404.
/// 3. The key: OpenAI takes `Authorization: Bearer <key>` only; Azure OpenAI GA takes `api-key: <key>`
///    or `Authorization: Bearer <key>`; Voice Live takes the `api-key` header, the `api-key` query
///    parameter or `Authorization: Bearer <key>`. Wrong or missing → 401, no frame.
/// 4. The query: GA needs `model`; Voice Live needs `api-version` and `model` (or `agent-name` with
///    `agent-project-name`). Missing → 400.
///
/// A GA request carrying `OpenAI-Beta: realtime=v1` is accepted, then closed with 4000 by the
/// connection (the real server's `beta_api_shape_disabled`).
///
/// - Threading: stateless; called on the connection's event loop.
/// - Ownership: returns values.
/// - Realtime: unsafe (allocates); test and load-generator code only.
enum FakeRealtimeUpgrade {
    /// What an accepted upgrade carries into the connection.
    struct Setup {
        var model: String
        /// Voice Live `api-version` (empty on GA).
        var apiVersion: String
        /// GA only: the client sent the beta header.
        var betaHeader: Bool
    }

    enum Decision {
        case accept(Setup)
        case reject(HTTPResponseStatus, body: String)
    }

    static func decide(
        _ head: HTTPRequestHead, dialect: FakeRealtimeServer.Dialect, behaviour: FakeRealtimeServer.Behaviour
    ) -> Decision {
        if behaviour.refuseUpgrade {
            return .reject(.serviceUnavailable, body: #"{"error":{"type":"server_error","code":"service_unavailable","message":"The server is temporarily unable to handle the request.","param":null}}"#)
        }
        let components = URLComponents(string: head.uri)
        let path = components?.path ?? head.uri
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] where query[item.name] == nil { query[item.name] = item.value ?? "" }
        let bearer = head.headers["Authorization"].first.flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        }
        let apiKeyHeader = head.headers["api-key"].first
        let key = behaviour.apiKey

        switch dialect {
        case .ga:
            let azure: Bool
            switch path {
            case "/v1/realtime": azure = false
            case "/openai/v1/realtime": azure = true
            default: return notFound
            }
            let authorised = azure ? (apiKeyHeader == key || bearer == key) : bearer == key
            guard authorised else {
                return azure
                    ? .reject(.unauthorized, body: #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#)
                    : .reject(.unauthorized, body: #"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#)
            }
            guard let model = query["model"], !model.isEmpty else {
                return .reject(.badRequest, body: #"{"error":{"message":"Missing required parameter: 'model'.","type":"invalid_request_error","param":"model","code":"missing_required_parameter"}}"#)
            }
            let beta = head.headers["OpenAI-Beta"].contains { $0.lowercased().contains("realtime=v1") }
            return .accept(Setup(model: model, apiVersion: "", betaHeader: beta))
        case .voiceLive:
            guard path == "/voice-live/realtime" else { return notFound }
            guard apiKeyHeader == key || query["api-key"] == key || bearer == key else {
                return .reject(.unauthorized, body: #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#)
            }
            guard let version = query["api-version"], !version.isEmpty else {
                return .reject(.badRequest, body: #"{"error":{"code":"BadRequest","message":"The api-version query parameter (?api-version=) is required for all requests."}}"#)
            }
            let agent = query["agent-name"].map { "agent:" + $0 }
            guard let model = query["model"].flatMap({ $0.isEmpty ? nil : $0 })
                ?? (query["agent-project-name"] != nil ? agent : nil)
            else {
                return .reject(.badRequest, body: #"{"error":{"code":"BadRequest","message":"The model query parameter (or agent-name with agent-project-name) is required."}}"#)
            }
            return .accept(Setup(model: model, apiVersion: version, betaHeader: false))
        }
    }

    private static var notFound: Decision {
        .reject(.notFound, body: #"{"error":{"code":"404","message":"Resource not found"}}"#)
    }
}

/// Answers every HTTP request that was not upgraded: the refusal ``FakeRealtimeUpgrade`` chose
/// (401, 404, 400, 503), or 426 for a plain request to a valid endpoint. Then closes.
///
/// - Threading: all methods are called on the channel's event loop.
/// - Ownership: owned by the channel pipeline until the upgrade removes it or the channel closes.
/// - Realtime: unsafe (allocates); test and load-generator code only.
final class FakeRealtimeHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let dialect: FakeRealtimeServer.Dialect
    private let behaviour: FakeRealtimeServer.Behaviour
    private let hub: FakeRealtimeHub
    private var head: HTTPRequestHead?

    init(dialect: FakeRealtimeServer.Dialect, behaviour: FakeRealtimeServer.Behaviour, hub: FakeRealtimeHub) {
        self.dialect = dialect
        self.behaviour = behaviour
        self.hub = hub
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            let status: HTTPResponseStatus, body: String
            switch FakeRealtimeUpgrade.decide(head, dialect: dialect, behaviour: behaviour) {
            case let .reject(s, b): (status, body) = (s, b)
            case .accept: (status, body) = (.upgradeRequired, #"{"error":{"code":"426","message":"Upgrade Required"}}"#)
            }
            hub.recordRejection(status: Int(status.code))
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
