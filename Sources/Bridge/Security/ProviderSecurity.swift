/// How voiced tells a provider's requests from anyone else's (docs/security.md): the secrets each
/// provider signs with, where they are configured. A provider with a secret here has every media
/// upgrade and webhook checked (refused with 403 when the check fails); one without is served
/// unchecked, and its calls cannot choose their own graph or agent unless
/// ``trustCallParameters`` says so.
///
/// - Threading: a value, set at start-up.
public struct ProviderSecurity: Sendable {
    /// The public base URL providers reach this server at (`https://voiced.example.com`): what
    /// webhook answers point media streams to (as `wss://`) and what signatures are computed over.
    /// Nil: taken from each request's `X-Forwarded-Proto` / `X-Forwarded-Host`, else its `Host`.
    public var publicURL: String?
    /// Twilio: the account's auth token (`X-Twilio-Signature` on webhooks and media upgrades).
    public var twilioAuthToken: String?
    /// Exotel: `KEY:TOKEN`, the Basic credentials written into the Voicebot applet's URL.
    public var exotelCredentials: String?
    /// Exotel: addresses its media sockets may come from (Exotel's support gives the list); when
    /// set, other addresses are refused unless they bring the credentials.
    public var exotelAllowedAddresses: [String] = []
    /// Telnyx: the account's Ed25519 public key, base64 (Mission Control → Keys & Credentials).
    public var telnyxPublicKey: String?
    /// Plivo: the account's auth token (V3 signatures).
    public var plivoAuthToken: String?
    /// Vonage: the account's signature secret (HS256 JWTs on webhooks and media sockets).
    public var vonageSignatureSecret: String?
    /// Azure Communication Services: the resource's connection string (`endpoint=…;accesskey=…`),
    /// with which voiced answers incoming calls through Call Automation.
    public var acsConnectionString: ACSConnectionString?
    /// ACS: the resource's id, the audience of the JWTs Call Automation puts on media sockets and
    /// callbacks; when set, they are checked against ACS's OpenID keys.
    public var acsAudience: String?
    /// ACS: where its OpenID metadata and issuer are (tests point these at a local key set).
    public var acsOpenIDMetadataURL = "https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration"
    public var acsIssuer = "https://acscallautomation.communication.azure.com"
    /// ACS: the audio format calls are answered with: `pcm16KMono` (default) or `pcm24KMono`.
    public var acsAudioFormat = "pcm16KMono"
    /// Event Grid deliveries to `/acs/events` with Entra ID authentication: the audience (the
    /// app's id or URI), the tenant's OpenID metadata and issuer
    /// (`https://login.microsoftonline.com/TENANT/v2.0`). When the audience is set, they are checked.
    public var eventGridAudience: String?
    public var eventGridOpenIDMetadataURL: String?
    public var eventGridIssuer: String?

    /// A path segment a provider's media socket must carry (`/telnyx/<token>`), by provider name:
    /// for providers whose media connect carries no signature (Telnyx, Plivo; ACS without an
    /// audience).
    public var mediaTokens: [String: String] = [:]
    /// Serve every request unchecked even where a secret is configured (`--insecure-skip-auth`;
    /// logged as a warning at start-up). For local development only.
    public var skipAuthentication = false
    /// Let calls that are not authenticated choose their graph and agent (`graph`, `agent` custom
    /// parameters). Off by default: a caller's provider request, not a stranger, picks what a call costs.
    public var trustCallParameters = false

    public init() {}
}
