import Crypto
import Foundation

/// Plivo's V3 request signature (`X-Plivo-Signature-V3`, `X-Plivo-Signature-V3-Nonce`; plivo-python
/// `plivo/utils/signature_v3.py`): base64 of HMAC-SHA256, keyed with the auth token, over the
/// request's URL string and `.` and the nonce. The URL string is `scheme://host/path` (kept as is)
/// followed, for GET, by `?` and every query and form parameter as `k=v` joined by `&` (keys
/// sorted, each key's values sorted, nothing URL-encoded); for POST, by the query built that way
/// (then `.` when there is one) and `?`, then the sorted form parameters as `k` + `v` with no
/// separators. The header may hold several signatures separated by commas; one match suffices.
///
/// - Threading: pure functions; any thread (not media threads: they allocate).
enum PlivoSignature {
    /// The V3 signature of a request.
    static func compute(method: String, url: String, nonce: String, parameters: [(String, String)], token: String) -> String? {
        guard let text = signedString(method: method, url: url, parameters: parameters) else { return nil }
        let mac = HMAC<SHA256>.authenticationCode(for: Data((text + "." + nonce).utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `header` (one or more comma-separated signatures) holds this request's signature.
    /// Compared in constant time.
    static func isValid(_ header: String, method: String, url: String, nonce: String, parameters: [(String, String)],
                        token: String) -> Bool {
        guard !token.isEmpty, !nonce.isEmpty, let text = signedString(method: method, url: url, parameters: parameters) else {
            return false
        }
        let message = Data((text + "." + nonce).utf8)
        let key = SymmetricKey(data: Data(token.utf8))
        return header.split(separator: ",", omittingEmptySubsequences: false).contains { candidate in
            guard let mac = Data(base64Encoded: String(candidate)) else { return false }
            return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
        }
    }

    /// The string signed before `.` and the nonce; nil for a URL without scheme and host.
    static func signedString(method: String, url: String, parameters: [(String, String)]) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.percentEncodedHost else {
            return nil
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let base = "\(scheme)://\(host)\(port)\(components.percentEncodedPath)"
        let query = (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
        if method.uppercased() == "GET" {
            let joined = sortedPairs(query + parameters).map { "\($0)=\($1)" }.joined(separator: "&")
            return joined.isEmpty ? base : base + "?" + joined
        }
        var text = base
        let joinedQuery = sortedPairs(query).map { "\($0)=\($1)" }.joined(separator: "&")
        if !joinedQuery.isEmpty { text += "?" + joinedQuery }
        if !parameters.isEmpty {
            text += joinedQuery.isEmpty ? "?" : "."
            text += sortedPairs(parameters).map { $0 + $1 }.joined()
        }
        return text
    }

    /// Pairs sorted by key, then value (code-point order, as Python sorts).
    private static func sortedPairs(_ pairs: [(String, String)]) -> [(String, String)] {
        pairs.sorted { $0.0 == $1.0 ? $0.1.unicodeScalars.lexicographicallyPrecedes($1.1.unicodeScalars)
                                    : $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) }
    }
}
