/// Twilio's HTTP side: `X-Twilio-Signature` on media upgrades (computed over the `wss://` URL,
/// query parameters as parameters) and webhooks; `GET|POST /twilio/voice` answers with TwiML that
/// connects the call's stream here; `POST /twilio/status` takes the stream's status callbacks.
struct TwilioGateway: ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        guard let token = context.checks(context.security.twilioAuthToken) else { return .unchecked }
        guard let signature = request.headers.first(name: "x-twilio-signature") else { return .refused("no X-Twilio-Signature header") }
        let url = context.webSocketBase(request) + request.path
        return TwilioSignature.isValid(signature, url: url, parameters: request.query, token: token)
            ? .verified : .refused("X-Twilio-Signature does not match \(url)")
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        switch request.path {
        case "/twilio/voice": return check(request, context) ?? voice(request, context)
        case "/twilio/status": return check(request, context) ?? status(request, context)
        default: return nil
        }
    }

    /// A refusal for a webhook whose signature does not verify; nil when it does (or is not checked).
    private func check(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        guard let token = context.checks(context.security.twilioAuthToken) else { return nil }
        guard let signature = request.headers.first(name: "x-twilio-signature") else {
            return context.refuse(request, provider: "twilio", reason: "no X-Twilio-Signature header")
        }
        let url = context.publicBase(request) + request.uri
        let json = request.headers.first(name: "content-type")?.lowercased().hasPrefix("application/json") == true
        guard TwilioSignature.isValid(signature, url: url, parameters: request.method == .POST ? request.form : [],
                                      jsonBody: json ? request.body : nil, token: token)
        else { return context.refuse(request, provider: "twilio", reason: "X-Twilio-Signature does not match \(url)") }
        return nil
    }

    /// TwiML connecting the call to `/twilio`. The webhook URL's own query (`?agent=sales&graph=full`,
    /// set by the operator in the number's configuration) and the caller and callee become
    /// `<Parameter>`s — never the stream URL's query, which Twilio drops.
    private func voice(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        let stream = XMLText.escape(context.webSocketBase(request) + "/twilio")
        let callback = XMLText.escape(context.publicBase(request) + "/twilio/status")
        let children = XMLText.parameters(request.routing)
        context.logger.info("twilio voice webhook answered", metadata: [
            "provider_call": .wire(request.parameter("CallSid") ?? "-"), "stream_url": "\(stream)",
        ])
        return .xml(#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="\#(stream)" statusCallback="\#(callback)">\#(children)</Stream></Connect></Response>"#)
    }

    /// A stream status callback: logged.
    private func status(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        context.logger.info("twilio stream status", metadata: [
            "provider_call": .wire(request.parameter("CallSid") ?? "-"), "stream": .wire(request.parameter("StreamSid") ?? "-"),
            "event": .wire(request.parameter("StreamEvent") ?? "-"), "error": .wire(request.parameter("StreamError") ?? "-"),
        ])
        return .noContent
    }
}
