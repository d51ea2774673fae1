/// Plivo's HTTP side: webhooks carry V3 signatures (``PlivoSignature``); `POST|GET /plivo/answer`
/// answers with XML whose bidirectional `<Stream>` connects the call here; `POST /plivo/status`
/// takes stream status callbacks. Its media connect's signature is not documented: a media token
/// in the path (`/plivo/<token>`) is the check when configured.
struct PlivoGateway: ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        context.mediaToken(request, provider: "plivo", path: "/plivo")
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        switch request.path {
        case "/plivo/answer": return check(request, context) ?? stream(request, context)
        case "/plivo/status": return check(request, context) ?? status(request, context)
        default: return nil
        }
    }

    private func check(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? {
        guard let token = context.checks(context.security.plivoAuthToken) else { return nil }
        guard let signature = request.headers.first(name: "x-plivo-signature-v3"),
              let nonce = request.headers.first(name: "x-plivo-signature-v3-nonce") else {
            return context.refuse(request, provider: "plivo", reason: "no X-Plivo-Signature-V3 and nonce headers")
        }
        let url = context.publicBase(request) + request.uri
        guard PlivoSignature.isValid(signature, method: request.method == .GET ? "GET" : "POST", url: url, nonce: nonce,
                                     parameters: request.method == .GET ? [] : request.form, token: token)
        else { return context.refuse(request, provider: "plivo", reason: "X-Plivo-Signature-V3 does not match \(url)") }
        return nil
    }

    /// A bidirectional `<Stream>` to `/plivo` at 16 kHz linear PCM; the answer URL's query and the
    /// caller and callee travel as `extraHeaders` (Plivo hands them back in `start`).
    private func stream(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        // `,` and `=` separate the pairs: values holding them cannot travel.
        let extra = request.routing.filter { !"\($0.0)\($0.1)".contains(where: { ",;=".contains($0) }) }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        let url = XMLText.escape(context.webSocketBase(request) + "/plivo")
        context.logger.info("plivo answer webhook answered", metadata: ["provider_call": .wire(request.parameter("CallUUID") ?? "-")])
        return .xml(#"<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-l16;rate=16000" statusCallbackUrl="\#(XMLText.escape(context.publicBase(request) + "/plivo/status"))" extraHeaders="\#(XMLText.escape(extra))">\#(url)</Stream></Response>"#)
    }

    private func status(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply {
        context.logger.info("plivo stream status", metadata: [
            "event": .wire(request.parameter("Event") ?? "-"), "provider_call": .wire(request.parameter("CallUUID") ?? "-"),
        ])
        return .noContent
    }
}
