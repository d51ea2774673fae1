import NIOHTTP1

/// One provider's media WebSocket endpoint: the path the provider connects to and the
/// ``ProviderDialect`` each of its sockets speaks.
///
/// - Threading: a value; safe anywhere. `makeDialect` runs on the socket's event loop.
struct ProviderEndpoint: Sendable {
    /// `/twilio`: the endpoint also answers `/twilio/<anything>` (a path segment may carry a token;
    /// query strings are ignored).
    let path: String
    /// A dialect for one socket, from its upgrade request (ACS puts the call's ids in its headers).
    let makeDialect: @Sendable (HTTPRequestHead) -> ProviderDialect

    /// Every provider voiced serves: a new provider is its folder under `Providers/` and one line here.
    static let all: [ProviderEndpoint] = [
        ProviderEndpoint(path: "/twilio") { _ in TwilioDialect() },
        ProviderEndpoint(path: "/exotel") { _ in ExotelDialect() },
        ProviderEndpoint(path: "/acs") { ACSDialect(request: $0) },
        ProviderEndpoint(path: "/telnyx") { _ in TelnyxDialect() },
        ProviderEndpoint(path: "/vonage") { _ in VonageDialect() },
        ProviderEndpoint(path: "/plivo") { _ in PlivoDialect() },
    ]

    /// The endpoint `uri` names, if any.
    static func matching(_ uri: String) -> ProviderEndpoint? {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return all.first { path == $0.path || path.hasPrefix($0.path + "/") }
    }
}
