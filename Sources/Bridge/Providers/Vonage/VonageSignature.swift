import Crypto
import Foundation

/// Vonage's signed callbacks and WebSocket connects (developer.vonage.com, "Signed webhooks"):
/// `Authorization: Bearer <JWT>`, HS256 with the account's signature secret, claims `iat`, `jti`,
/// `iss` and `payload_hash` (lowercase hex SHA-256 of the body, when there is one). Vonage sets no
/// `exp`: a token issued more than 300 s from now, either way, is refused (a replay).
///
/// - Threading: pure functions; any thread (not media threads: they allocate).
enum VonageSignature {
    static let toleranceSeconds: Double = 300

    /// Why a request is refused, or nil when it is Vonage's. `body` is checked against
    /// `payload_hash` when it is not empty.
    static func refusal(authorization: String?, body: [UInt8], secret: String, now: Date = Date()) -> String? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return "no Authorization: Bearer token" }
        guard let token = JSONWebToken(String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)) else {
            return "the bearer token is not a JWT"
        }
        guard token.isSignedHS256(secret: secret) else { return "the JWT is not HS256-signed with the signature secret" }
        if let expires = token.date("exp"), expires < now.timeIntervalSince1970 { return "the JWT has expired" }
        guard let issued = token.date("iat"), abs(now.timeIntervalSince1970 - issued) <= toleranceSeconds else {
            return "the JWT was not issued within \(Int(toleranceSeconds)) s of now"
        }
        if !body.isEmpty {
            let hash = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
            guard (token.claims["payload_hash"] as? String)?.lowercased() == hash else { return "payload_hash does not match the body" }
        }
        return nil
    }
}
