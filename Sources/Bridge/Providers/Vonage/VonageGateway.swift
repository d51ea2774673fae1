import Foundation

/// Vonage's HTTP side: webhooks and the media socket carry `Authorization: Bearer <JWT>` signed
/// with the signature secret (``VonageSignature``; the NCCO asks for it on the socket with
/// `authorization: {"type": "vonage"}`); `GET|POST /vonage/answer` answers with an NCCO that
/// connects the call here; `POST /vonage/event` takes call events.
struct VonageGateway: ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        guard let secret = context.checks(context.security.vonageSignatureSecret) else {
            return context.mediaToken(request, provider: "vonage", path: "/vonage")
        }
        if let reason = VonageSignature.refusal(authorization: request.headers.first(name: "authorization"), body: [], secret: secret) {
            return .refused(reason)
        }
        return .verified
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        switch request.path {
        case "/vonage/answer": return check(request, context) ?? ncco(request, context)
        case "/vonage/event": return check(request, context) ?? event(request, context)
        default: return nil
        }
    }

    private func check(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        guard let secret = context.checks(context.security.vonageSignatureSecret) else { return nil }
        if let reason = VonageSignature.refusal(authorization: request.headers.first(name: "authorization"), body: request.body, secret: secret) {
            return context.refuse(request, provider: "vonage", reason: reason)
        }
        return nil
    }

    /// The answer fields, from the query (GET) or a JSON body (POST).
    private func fields(_ request: HTTPRequest) -> [String: String] {
        var fields = Dictionary(request.query, uniquingKeysWith: { first, _ in first })
        if let json = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] {
            for (key, value) in json { if let text = value as? String { fields[key] = text } }
        }
        return fields
    }

    /// `connect` → `websocket` at 16 kHz; the call's uuid, caller and callee, and the answer URL's
    /// own routing parameters become the socket's headers (Vonage sends them in
    /// `websocket:connected`; 512 bytes at most).
    private func ncco(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let fields = fields(request)
        var headers: [String: String] = [:]
        for (key, value) in request.query where !["uuid", "conversation_uuid", "from", "to", "region_url"].contains(key) { headers[key] = value }
        for key in ["uuid", "from", "to"] { if let value = fields[key] { headers[key] = value } }
        var endpoint: [String: Any] = [
            "type": "websocket", "uri": context.webSocketBase(request) + "/vonage",
            "content-type": "audio/l16;rate=16000", "headers": headers,
        ]
        if context.checks(context.security.vonageSignatureSecret) != nil { endpoint["authorization"] = ["type": "vonage"] }
        let ncco: [[String: Any]] = [["action": "connect", "eventUrl": [context.publicBase(request) + "/vonage/event"], "endpoint": [endpoint]]]
        let data = (try? JSONSerialization.data(withJSONObject: ncco, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        context.logger.info("vonage answer webhook answered", metadata: ["provider_call": .wire(fields["uuid"] ?? "-")])
        return .json(String(decoding: data, as: UTF8.self))
    }

    private func event(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let fields = fields(request)
        context.logger.info("vonage event", metadata: ["status": .wire(fields["status"] ?? "-"), "provider_call": .wire(fields["uuid"] ?? "-")])
        return .noContent
    }
}
