import Crypto
import Foundation

/// Twilio's `X-Twilio-Signature` (shared/protocols.md §1.5, twilio-python `RequestValidator`):
/// base64 of HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio requested
/// followed by each form parameter's name and value (names sorted, each name's distinct values
/// sorted, no separators). Twilio is inconsistent about ports, so a match with the port stripped or
/// with the scheme's default port added counts. A JSON body is covered by the URL's `bodySHA256`
/// parameter (the body's lowercase hex SHA-256), and no parameters are appended.
///
/// - Threading: pure functions; any thread (not media threads: they allocate).
enum TwilioSignature {
    /// The signature of `url` with form `parameters` under `token`.
    static func compute(url: String, parameters: [(String, String)], token: String) -> String {
        Data(mac(signing: url, parameters, token: token)).base64EncodedString()
    }

    /// Whether `signature` is Twilio's for this request: `url` as requested (for a media upgrade, the
    /// `wss://` URL), the form `parameters` of a POST (none for GET or JSON), and the raw `body`
    /// when it is JSON (checked against `bodySHA256`). Compared in constant time.
    static func isValid(_ signature: String, url: String, parameters: [(String, String)], jsonBody: [UInt8]? = nil,
                        token: String) -> Bool {
        guard let expected = Data(base64Encoded: signature), !token.isEmpty else { return false }
        if let jsonBody {
            guard let components = URLComponents(string: url),
                  let declared = components.queryItems?.first(where: { $0.name == "bodySHA256" })?.value,
                  declared == SHA256.hash(data: jsonBody).map({ String(format: "%02x", $0) }).joined()
            else { return false }
        }
        let params = jsonBody == nil ? parameters : []
        return urlVariants(url).contains { variant in
            HMAC<Insecure.SHA1>.isValidAuthenticationCode(expected, authenticating: Data(signedString(variant, params).utf8),
                                                         using: SymmetricKey(data: Data(token.utf8)))
        }
    }

    /// `url` followed by the sorted names and values.
    static func signedString(_ url: String, _ parameters: [(String, String)]) -> String {
        var byName: [String: Set<String>] = [:]
        for (name, value) in parameters { byName[name, default: []].insert(value) }
        var text = url
        for name in byName.keys.sorted(by: Self.byteOrder) {
            for value in byName[name]!.sorted(by: Self.byteOrder) { text += name + value }
        }
        return text
    }

    private static func mac(signing url: String, _ parameters: [(String, String)], token: String) -> HashedAuthenticationCode<Insecure.SHA1> {
        HMAC<Insecure.SHA1>.authenticationCode(for: Data(signedString(url, parameters).utf8), using: SymmetricKey(data: Data(token.utf8)))
    }

    /// `url` as given, with its port stripped, and with the scheme's default port added.
    static func urlVariants(_ url: String) -> [String] {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return [url] }
        let defaultPort = ["https": 443, "wss": 443, "http": 80, "ws": 80][scheme]
        var variants = [url]
        components.port = nil
        if let stripped = components.string { variants.append(stripped) }
        if let defaultPort {
            components.port = defaultPort
            if let added = components.string { variants.append(added) }
        }
        return variants
    }

    /// Byte order of UTF-8, as Python sorts.
    private static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
