import Foundation

/// An Azure Communication Services connection string, `endpoint=https://NAME.communication.azure.com/;accesskey=BASE64`
/// (the resource's Keys page): where Call Automation lives and the key its requests are signed with.
///
/// - Threading: a value; any thread.
public struct ACSConnectionString: Sendable, Equatable {
    /// `https://NAME.communication.azure.com`, without a trailing slash.
    public var endpoint: String
    /// The access key, decoded from base64.
    public var accessKey: Data

    /// Parses `text`; nil when it lacks an http(s) endpoint or a base64 access key.
    public init?(_ text: String) {
        var fields: [String: String] = [:]
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = String(pair[1]).trimmingCharacters(in: .whitespaces) }
        }
        guard var endpoint = fields["endpoint"], endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://"),
              let key = fields["accesskey"].flatMap({ Data(base64Encoded: $0) }), !key.isEmpty else { return nil }
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        accessKey = key
    }
}
