import NIOHTTP1

/// One provider's endpoints: the path its media sockets connect to (and its webhooks live under),
/// the ``ProviderGateway`` that checks its requests and answers its webhooks, and the
/// ``ProviderDialect`` each of its sockets speaks.
///
/// - Threading: a value; safe anywhere. `makeDialect` runs on the socket's event loop.
struct ProviderEndpoint: Sendable {
    /// `/twilio`: the media endpoint also answers `/twilio/<anything>` that is not a webhook (a path
    /// segment may carry a token; query strings are ignored).
    let path: String
    let gateway: any ProviderGateway
    /// A dialect for one socket, from its upgrade request (ACS puts the call's ids in its headers).
    let makeDialect: @Sendable (HTTPRequestHead) -> ProviderDialect

    /// The provider's name (`twilio`).
    var provider: String { String(path.dropFirst()) }

    /// Every provider voiced serves: a new provider is its folder under `Providers/` and one line here.
    static let all: [ProviderEndpoint] = [
        ProviderEndpoint(path: "/twilio", gateway: TwilioGateway()) { _ in TwilioDialect() },
        ProviderEndpoint(path: "/exotel", gateway: ExotelGateway()) { _ in ExotelDialect() },
        ProviderEndpoint(path: "/acs", gateway: ACSGateway()) { ACSDialect(request: $0) },
        ProviderEndpoint(path: "/telnyx", gateway: TelnyxGateway()) { _ in TelnyxDialect() },
        ProviderEndpoint(path: "/vonage", gateway: VonageGateway()) { _ in VonageDialect() },
        ProviderEndpoint(path: "/plivo", gateway: PlivoGateway()) { _ in PlivoDialect() },
    ]

    /// The endpoint `uri` names, if any.
    static func matching(_ uri: String) -> ProviderEndpoint? {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return all.first { path == $0.path || path.hasPrefix($0.path + "/") }
    }
}
