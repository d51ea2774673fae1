/// Azure Communication Services' HTTP side. Its media socket's JWT check and its Event Grid answer
/// webhook (`/acs/events`) are not built yet (docs/providers.md): a media token in the path
/// (`/acs/<token>`, set in the transport URL) is the check meanwhile.
struct ACSGateway: ProviderGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        context.mediaToken(request, provider: "acs", path: "/acs")
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? { nil }
}
