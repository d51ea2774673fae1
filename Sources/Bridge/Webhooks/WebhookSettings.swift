/// Where call events are POSTed and how (`[webhooks]` in the configuration file, or
/// `--webhook-url` with the secret in `VOICED_WEBHOOK_SECRET`; docs/operations.md).
///
/// - Threading: a value.
public struct WebhookSettings: Sendable, Equatable {
    /// `http://` or `https://` URL every event is POSTed to.
    public var url: String
    /// The HMAC-SHA256 key each delivery is signed with (`Voiced-Signature`).
    public var secret: String
    /// Deliveries tried per event before it is given up: default 6 (1 + 5 retries).
    public var maxAttempts = 6
    /// The wait before the first retry; each next one waits twice as long: default 1 s.
    public var firstRetry: Duration = .seconds(1)
    /// Events waiting or being delivered at most; beyond, new events are dropped (counted).
    public var capacity = 1000

    public init(url: String, secret: String) {
        self.url = url
        self.secret = secret
    }
}
