import _CryptoExtras
import Crypto
import Foundation
import NIOCore

/// Checks an RS256 bearer token from an OpenID issuer: signed by a key of its ``OpenIDKeySet``,
/// issued by `issuer`, for `audience`, and within its validity (`exp`, `nbf`, with a minute's
/// leeway for clock skew).
///
/// - Threading: any thread.
struct JWTVerifier: Sendable {
    let keys: OpenIDKeySet
    let issuer: String
    let audience: String

    static let leewaySeconds: Double = 60

    /// Why `authorization` (`Bearer <JWT>`) is refused, or nil when it passes. Completes on `loop`:
    /// at once when the token's key is cached, after fetching the issuer's key set otherwise.
    func refusal(authorization: String?, on loop: EventLoop, now: Date = Date()) -> EventLoopFuture<String?> {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return loop.makeSucceededFuture("no Authorization: Bearer token") }
        guard let token = JSONWebToken(String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)) else {
            return loop.makeSucceededFuture("the bearer token is not a JWT")
        }
        guard token.algorithm == "RS256", let kid = token.header["kid"] as? String else {
            return loop.makeSucceededFuture("the JWT is not RS256 with a key id")
        }
        if let key = keys.cachedKey(id: kid) { return loop.makeSucceededFuture(refusal(token, key: key, now: now)) }
        let keys = keys
        return loop.makeFutureWithTask { await keys.key(id: kid) }.map { key in
            key.map { refusal(token, key: $0, now: now) } ?? "the JWT's key id '\(kid)' is not one of the issuer's keys"
        }
    }

    /// Why `token`, signed with `key`'s id, is refused, or nil.
    private func refusal(_ token: JSONWebToken, key: _RSA.Signing.PublicKey, now: Date) -> String? {
        guard let signature = try? _RSA.Signing.RSASignature(rawRepresentation: token.signature),
              key.isValidSignature(signature, for: SHA256.hash(data: token.signingInput), padding: .insecurePKCS1v1_5)
        else { return "the JWT's signature does not verify" }
        guard token.claims["iss"] as? String == issuer else { return "the JWT's issuer is not \(issuer)" }
        let audiences = (token.claims["aud"] as? [String]) ?? [(token.claims["aud"] as? String)].compactMap { $0 }
        guard audiences.contains(audience) else { return "the JWT is not for this audience" }
        let time = now.timeIntervalSince1970
        guard let expires = token.date("exp"), expires + Self.leewaySeconds >= time else { return "the JWT has expired" }
        if let notBefore = token.date("nbf"), notBefore - Self.leewaySeconds > time { return "the JWT is not valid yet" }
        return nil
    }
}
