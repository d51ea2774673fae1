import _CryptoExtras
import Crypto
import Foundation
import NIOConcurrencyHelpers

/// Azure Communication Services as voiced meets it, on loopback: the OpenID metadata and key set
/// of Call Automation (and of an Entra ID tenant, for Event Grid deliveries), tokens signed with
/// their keys, and the Call Automation `answer` endpoint, which checks the request's HMAC-SHA256
/// signature and body exactly as ACS documents them (written here from the docs, not from
/// voiced's signer) and records each answered call.
///
/// - Threading: any thread.
public final class FakeACS: Sendable {
    /// An answered call as the fake received it.
    public struct Answer: Sendable {
        public var incomingCallContext: String
        public var callbackURI: String
        public var transportURL: String
        public var audioFormat: String
        public var bidirectional: Bool
    }

    public let server: LoopbackHTTPServer
    /// The resource's id: the audience of its tokens.
    public static let resourceID = "0b8e4c1a-1234-4cde-9abc-7f00d3c0ffee"
    /// The Entra app Event Grid delivers to.
    public static let eventGridAudience = "api://voiced-events"
    /// The access key, base64 (what the connection string carries).
    public let accessKey: String
    private let acsKey: _RSA.Signing.PrivateKey
    private let entraKey: _RSA.Signing.PrivateKey
    private let answers: NIOLockedValueBox<[Answer]>
    private let refusals: NIOLockedValueBox<[String]>

    public init() async throws {
        let (acsKey, entraKey) = (Self.keys.acs, Self.keys.entra)
        let answers = NIOLockedValueBox<[Answer]>([]), refusals = NIOLockedValueBox<[String]>([])
        let accessKey = Data((0..<32).map { UInt8($0 &* 7 &+ 3) }).base64EncodedString()
        let key = Data(base64Encoded: accessKey)!
        let portBox = NIOLockedValueBox(0)
        let acsJWK = try Self.jwk(acsKey.publicKey, kid: "acs-1"), entraJWK = try Self.jwk(entraKey.publicKey, kid: "entra-1")
        let server = try await LoopbackHTTPServer { request in
            let base = "http://127.0.0.1:\(portBox.withLockedValue { $0 })"
            switch (request.method, request.uri.split(separator: "?").first.map(String.init) ?? "") {
            case ("GET", "/calling/.well-known/acsopenidconfiguration"):
                return Self.json(["issuer": "https://acscallautomation.communication.azure.com", "jwks_uri": "\(base)/calling/keys"])
            case ("GET", "/calling/keys"):
                return Self.json(["keys": [acsJWK]])
            case ("GET", "/entra/v2.0/.well-known/openid-configuration"):
                return Self.json(["issuer": "\(base)/entra/v2.0", "jwks_uri": "\(base)/entra/keys"])
            case ("GET", "/entra/keys"):
                return Self.json(["keys": [entraJWK]])
            case ("POST", "/calling/callConnections:answer"):
                if let problem = Self.checkSignature(request, key: key, host: "127.0.0.1:\(portBox.withLockedValue { $0 })") {
                    refusals.withLockedValue { $0.append(problem) }
                    return (401, "application/json", Array(#"{"error":{"code":"Denied"}}"#.utf8))
                }
                guard let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any],
                      let context = body["incomingCallContext"] as? String, let callback = body["callbackUri"] as? String,
                      let media = body["mediaStreamingOptions"] as? [String: Any], let transport = media["transportUrl"] as? String,
                      media["transportType"] as? String == "websocket", media["contentType"] as? String == "audio",
                      request.uri.contains("api-version=")
                else {
                    refusals.withLockedValue { $0.append("malformed answer body") }
                    return (400, "application/json", Array(#"{"error":{"code":"BadRequest"}}"#.utf8))
                }
                answers.withLockedValue {
                    $0.append(Answer(incomingCallContext: context, callbackURI: callback, transportURL: transport,
                                     audioFormat: media["audioFormat"] as? String ?? "", bidirectional: media["enableBidirectional"] as? Bool ?? false))
                }
                return Self.json(["callConnectionId": "call-connection-\(context.count)", "callConnectionState": "connecting"])
            default:
                return (404, "text/plain", Array("not found".utf8))
            }
        }
        portBox.withLockedValue { $0 = server.port }
        self.server = server
        self.acsKey = acsKey
        self.entraKey = entraKey
        self.answers = answers
        self.refusals = refusals
        self.accessKey = accessKey
    }

    /// `endpoint=http://127.0.0.1:PORT/;accesskey=…`.
    public var connectionString: String { "endpoint=\(server.baseURL)/;accesskey=\(accessKey)" }
    public var acsMetadataURL: String { server.baseURL + "/calling/.well-known/acsopenidconfiguration" }
    public var entraMetadataURL: String { server.baseURL + "/entra/v2.0/.well-known/openid-configuration" }
    public var entraIssuer: String { server.baseURL + "/entra/v2.0" }

    public var answered: [Answer] { answers.withLockedValue { $0 } }
    /// Answer requests refused, with why.
    public var refused: [String] { refusals.withLockedValue { $0 } }

    /// A bearer token as Call Automation signs one (RS256, its key), for `audience`, expiring in
    /// `lifetime` seconds (negative: already expired).
    public func acsToken(audience: String = FakeACS.resourceID, lifetime: Double = 300) throws -> String {
        try Self.token(key: acsKey, kid: "acs-1", issuer: "https://acscallautomation.communication.azure.com", audience: audience, lifetime: lifetime)
    }

    /// A bearer token as Entra ID signs one for Event Grid's delivery.
    public func eventGridToken(audience: String = FakeACS.eventGridAudience, lifetime: Double = 300) throws -> String {
        try Self.token(key: entraKey, kid: "entra-1", issuer: entraIssuer, audience: audience, lifetime: lifetime)
    }

    /// A token signed by a key that is not the issuer's (same key id).
    public func forgedToken() throws -> String {
        try Self.token(key: Self.keys.forger, kid: "acs-1", issuer: "https://acscallautomation.communication.azure.com",
                       audience: Self.resourceID, lifetime: 300)
    }

    /// RSA keys are slow to make: made once per test process.
    private static let keys: (acs: _RSA.Signing.PrivateKey, entra: _RSA.Signing.PrivateKey, forger: _RSA.Signing.PrivateKey) = {
        func make() -> _RSA.Signing.PrivateKey { try! _RSA.Signing.PrivateKey(keySize: .bits2048) }
        return (make(), make(), make())
    }()

    public func stop() async throws { try await server.stop() }

    // MARK: Wire helpers

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func token(key: _RSA.Signing.PrivateKey, kid: String, issuer: String, audience: String, lifetime: Double) throws -> String {
        let now = Date().timeIntervalSince1970
        let header = base64URL(Data(#"{"alg":"RS256","kid":"\#(kid)","typ":"JWT"}"#.utf8))
        let claims = base64URL(try JSONSerialization.data(withJSONObject: [
            "iss": issuer, "aud": audience, "iat": Int(now), "nbf": Int(now), "exp": Int(now + lifetime),
        ]))
        let signature = try key.signature(for: SHA256.hash(data: Data("\(header).\(claims)".utf8)), padding: .insecurePKCS1v1_5)
        return "\(header).\(claims).\(base64URL(signature.rawRepresentation))"
    }

    static func jwk(_ key: _RSA.Signing.PublicKey, kid: String) throws -> [String: String] {
        let primitives = try key.getKeyPrimitives()
        return ["kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": base64URL(primitives.modulus),
                "e": base64URL(primitives.publicExponent)]
    }

    static func json(_ object: Any) -> (status: Int, contentType: String, body: [UInt8]) {
        (200, "application/json", Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    /// ACS's HMAC-SHA256 scheme (learn.microsoft.com, "Sign an HTTP request"): the string
    /// `VERB\npath?query\nx-ms-date;host;x-ms-content-sha256` under the decoded access key, the
    /// content hash being base64 SHA-256 of the body, and a date within 15 minutes.
    static func checkSignature(_ request: LoopbackHTTPServer.Request, key: Data, host: String) -> String? {
        guard let date = request.header("x-ms-date"), let hash = request.header("x-ms-content-sha256"),
              let authorization = request.header("authorization") else { return "x-ms-date, x-ms-content-sha256 or Authorization missing" }
        guard hash == Data(SHA256.hash(data: request.body)).base64EncodedString() else { return "content hash does not match the body" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let sent = formatter.date(from: date), abs(sent.timeIntervalSinceNow) < 900 else { return "x-ms-date missing or stale" }
        let prefix = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="
        guard authorization.hasPrefix(prefix) else { return "Authorization is not the HMAC-SHA256 scheme" }
        let toSign = "\(request.method)\n\(request.uri)\n\(date);\(host);\(hash)"
        let expected = Data(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: SymmetricKey(data: key))).base64EncodedString()
        return String(authorization.dropFirst(prefix.count)) == expected ? nil : "signature does not match"
    }
}
