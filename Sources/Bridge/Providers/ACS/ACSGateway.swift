import Foundation
import NIOCore

/// Azure Communication Services' HTTP side (docs/providers.md, docs/security.md):
/// - `POST /acs/events`: the Event Grid subscription. Its validation handshake is answered with
///   the code; `Microsoft.Communication.IncomingCall` is answered through Call Automation
///   (``CallAutomationClient``) with bidirectional streaming to `/acs` — the events URL's own query
///   and the caller and callee travel in the transport URL's query (the call's custom parameters).
///   With an Event Grid audience configured, deliveries must carry an Entra ID JWT for it.
/// - `POST /acs/callbacks`: Call Automation's call events, logged; with an ACS audience configured
///   they must carry ACS's JWT.
/// - The media socket carries ACS's JWT too (checked with an audience configured), else a media
///   token in its path.
struct ACSGateway: ProviderGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<Authentication> {
        guard let verifier = acsVerifier(context) else { return loop.makeSucceededFuture(context.mediaToken(request, provider: "acs", path: "/acs")) }
        return verifier.refusal(authorization: request.headers.first(name: "authorization"), on: loop).map { reason in
            reason.map(Authentication.refused) ?? .verified
        }
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext, on loop: EventLoop) -> EventLoopFuture<HTTPReply>? {
        switch request.path {
        case "/acs/events":
            return check(request, context, eventGridVerifier(context), on: loop).map { $0 ?? events(request, context) }
        case "/acs/callbacks":
            return check(request, context, acsVerifier(context), on: loop).map { $0 ?? callbacks(request, context) }
        default:
            return nil
        }
    }

    private func acsVerifier(_ context: GatewayContext) -> JWTVerifier? {
        guard let audience = context.checks(context.security.acsAudience) else { return nil }
        return JWTVerifier(keys: context.keySets.set(context.security.acsOpenIDMetadataURL), issuer: context.security.acsIssuer,
                           audience: audience)
    }

    private func eventGridVerifier(_ context: GatewayContext) -> JWTVerifier? {
        guard let audience = context.checks(context.security.eventGridAudience), let metadata = context.security.eventGridOpenIDMetadataURL,
              let issuer = context.security.eventGridIssuer else { return nil }
        return JWTVerifier(keys: context.keySets.set(metadata), issuer: issuer, audience: audience)
    }

    /// A refusal for a request whose token does not verify; nil when it does (or is not checked).
    private func check(_ request: HTTPRequest, _ context: GatewayContext, _ verifier: JWTVerifier?,
                       on loop: EventLoop) -> EventLoopFuture<HTTPReply?> {
        guard let verifier else { return loop.makeSucceededFuture(nil) }
        return verifier.refusal(authorization: request.headers.first(name: "authorization"), on: loop).map { reason in
            reason.map { context.refuse(request, provider: "acs", reason: $0) }
        }
    }

    /// Event Grid deliveries: an array of events (Event Grid or CloudEvents schema).
    private func events(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        guard let events = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [[String: Any]] else {
            return .text(400, "expected a JSON array of Event Grid events\n")
        }
        for event in events {
            let type = event["eventType"] as? String ?? event["type"] as? String ?? "?"
            let data = event["data"] as? [String: Any] ?? [:]
            switch type {
            case "Microsoft.EventGrid.SubscriptionValidationEvent":
                guard let code = data["validationCode"] as? String else { return .text(400, "validation event without a code\n") }
                context.logger.info("Event Grid subscription validated")
                return .json(#"{"validationResponse":\#(JSONStringEscaper.quoted(code))}"#)
            case "Microsoft.Communication.IncomingCall":
                answerCall(data, request, context)
            default:
                context.logger.info("ACS event", metadata: ["event": .wire(type)])
            }
        }
        return .text(200, "")
    }

    /// Answers an incoming call in the background (Event Grid wants its reply within seconds).
    private func answerCall(_ data: [String: Any], _ request: HTTPRequest, _ context: GatewayContext) {
        guard let incoming = data["incomingCallContext"] as? String else {
            context.logger.warning("IncomingCall without incomingCallContext ignored")
            return
        }
        guard let connection = context.security.acsConnectionString else {
            context.logger.error("IncomingCall not answered: no ACS connection string is configured ([providers.acs] connection_string_env)")
            return
        }
        var routing = request.query
        for (key, field) in [("from", "from"), ("to", "to")] {
            if let raw = (data[field] as? [String: Any])?["rawId"] as? String { routing.append((key, raw)) }
        }
        var components = URLComponents(string: context.webSocketBase(request) + "/acs")!
        if let token = context.checks(context.security.mediaTokens["acs"]) { components.path += "/" + token }
        if !routing.isEmpty { components.queryItems = routing.map { URLQueryItem(name: $0.0, value: $0.1) } }
        let transport = components.string ?? context.webSocketBase(request) + "/acs"
        let client = CallAutomationClient(connection: connection, fetcher: context.fetcher)
        let callback = context.publicBase(request) + "/acs/callbacks"
        let format = context.security.acsAudioFormat
        let logger = context.logger
        let correlation = data["correlationId"] as? String ?? "-"
        Task {
            do {
                let id = try await client.answer(incomingCallContext: incoming, callbackURL: callback, transportURL: transport, audioFormat: format)
                logger.info("ACS call answered", metadata: ["provider_call": .wire(id), "correlation": .wire(correlation)])
            } catch {
                logger.error("ACS call could not be answered", metadata: ["error": .wire("\(error)", limit: 300), "correlation": .wire(correlation)])
            }
        }
    }

    /// Call Automation's events (CloudEvents array): logged.
    private func callbacks(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let events = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [[String: Any]] ?? []
        for event in events {
            let data = event["data"] as? [String: Any] ?? [:]
            context.logger.info("ACS call event", metadata: [
                "event": .wire(event["type"] as? String ?? "?"), "provider_call": .wire(data["callConnectionId"] as? String ?? "-"),
            ])
        }
        return .text(200, "")
    }
}
