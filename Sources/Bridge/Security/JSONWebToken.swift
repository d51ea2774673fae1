import Crypto
import Foundation

/// A compact JWS (`header.payload.signature`, base64url), split and decoded but not yet trusted:
/// the caller checks the signature with the key it expects (HS256 for Vonage, RS256 for Azure) and
/// then the claims it needs.
///
/// - Threading: a value; any thread (not media threads: it allocates).
struct JSONWebToken {
    /// The decoded header and claims (JSON objects).
    let header: [String: Any]
    let claims: [String: Any]
    /// `header.payload` as sent: what the signature covers.
    let signingInput: Data
    let signature: Data

    /// Splits and decodes `token`; nil when it is not three base64url parts of JSON objects.
    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]), let claimsData = Self.base64URL(parts[1]),
              let signature = Self.base64URL(parts[2]),
              let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: claimsData)) as? [String: Any]
        else { return nil }
        self.header = header
        self.claims = claims
        self.signature = signature
        signingInput = Data("\(parts[0]).\(parts[1])".utf8)
    }

    /// `alg` from the header.
    var algorithm: String? { header["alg"] as? String }

    /// A numeric date claim (`iat`, `exp`, `nbf`) in seconds since 1970.
    func date(_ claim: String) -> Double? { (claims[claim] as? NSNumber)?.doubleValue }

    /// Whether an HS256 token's signature is `secret`'s (compared in constant time by swift-crypto).
    func isSignedHS256(secret: String) -> Bool {
        algorithm == "HS256"
            && HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Decodes base64url without padding.
    static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// Encodes `data` as base64url without padding.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
