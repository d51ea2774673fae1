import Crypto
import Foundation

/// Signs a request to Azure Communication Services with the resource's access key (HMAC-SHA256;
/// azure-sdk `HMACCredentialsPolicy`): the string `VERB\npath?query\nx-ms-date;host;content-hash`,
/// where the content hash is base64 SHA-256 of the body, becomes
/// `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…`.
///
/// - Threading: pure functions; any thread (not media threads: they allocate).
enum ACSRequestSigner {
    /// The headers that sign a request: `x-ms-date`, `x-ms-content-sha256`, `Authorization`.
    static func headers(method: String, url: URL, body: Data, key: Data, date: Date = Date()) -> [(String, String)] {
        let host = url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? "")
        var pathAndQuery = url.path.isEmpty ? "/" : url.path
        if let query = url.query { pathAndQuery += "?" + query }
        let stamp = httpDate(date)
        let contentHash = Data(SHA256.hash(data: body)).base64EncodedString()
        let signature = sign("\(method.uppercased())\n\(pathAndQuery)\n\(stamp);\(host);\(contentHash)", key: key)
        return [("x-ms-date", stamp), ("x-ms-content-sha256", contentHash),
                ("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)")]
    }

    /// base64 HMAC-SHA256 of `text` under `key`.
    static func sign(_ text: String, key: Data) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key))).base64EncodedString()
    }

    /// RFC 1123 date, as `x-ms-date` wants it: `Wed, 13 Apr 2022 18:09:12 GMT`.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
