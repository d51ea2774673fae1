import Foundation

/// Telnyx's HTTP side: webhooks carry an Ed25519 signature (``TelnyxSignature``);
/// `POST|GET /telnyx/texml` answers with TeXML streaming the call here in bidirectional RTP mode;
/// `POST /telnyx/events` takes call and stream events. Its media connect carries no signature: a
/// media token in the path (`/telnyx/<token>`) is the check when configured.
struct TelnyxGateway: ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        context.mediaToken(request, provider: "telnyx", path: "/telnyx")
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        switch request.path {
        case "/telnyx/texml": return check(request, context) ?? texml(request, context)
        case "/telnyx/events": return check(request, context) ?? events(request, context)
        default: return nil
        }
    }

    private func check(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        guard let key = context.checks(context.security.telnyxPublicKey) else { return nil }
        if let reason = TelnyxSignature.refusal(signature: request.headers.first(name: "telnyx-signature-ed25519"),
                                                timestamp: request.headers.first(name: "telnyx-timestamp"), body: request.body, publicKey: key) {
            return context.refuse(request, provider: "telnyx", reason: reason)
        }
        return nil
    }

    /// TeXML streaming to `/telnyx` (PCMU, RTP mode: the default `mp3` mode cannot carry replies);
    /// the webhook URL's query and the caller and callee become `<Parameter>`s.
    private func texml(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let stream = XMLText.escape(context.webSocketBase(request) + "/telnyx")
        let children = XMLText.parameters(request.routing)
        context.logger.info("telnyx texml webhook answered", metadata: ["provider_call": .wire(request.parameter("CallSid") ?? "-")])
        return .xml(#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="\#(stream)" track="inbound_track" bidirectionalMode="rtp" bidirectionalCodec="PCMU" bidirectionalSamplingRate="8000">\#(children)</Stream></Connect></Response>"#)
    }

    private func events(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let event = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
        let type = ((event?["data"] as? [String: Any])?["event_type"] as? String) ?? request.parameter("StreamEvent") ?? "-"
        context.logger.info("telnyx event", metadata: ["event": .wire(type)])
        return .noContent
    }
}
