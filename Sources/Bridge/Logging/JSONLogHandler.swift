import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard error, for log shippers
/// (`voiced serve --log-format json`):
///
/// ```json
/// {"ts":"2026-11-28T01:44:25.123Z","level":"info","label":"voiced","msg":"call ended","call.id":"17","provider":"twilio","reason":"provider_stop"}
/// ```
/// Metadata keys sit beside the fixed ones (a key that collides with one is prefixed `meta.`);
/// nested metadata becomes JSON arrays and objects. Each line is written with one `write`, so
/// lines from several threads never interleave.
///
/// - Threading: any thread except media threads (which never log).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler for `label` writing each line through `write` (default: standard error).
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", JSONStringEscaper.quoted(EndedCall.timestamp(Date()))),
            ("level", JSONStringEscaper.quoted(event.level.rawValue)),
            ("label", JSONStringEscaper.quoted(label)),
            ("msg", JSONStringEscaper.quoted("\(event.message)")),
        ]
        let fixed = Set(fields.map(\.0))
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            fields.append((fixed.contains(key) ? "meta.\(key)" : key, Self.json(value)))
        }
        write("{" + fields.map { "\(JSONStringEscaper.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}\n")
    }

    private static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case let .string(text): JSONStringEscaper.quoted(text)
        case let .stringConvertible(item): JSONStringEscaper.quoted(item.description)
        case let .array(items): "[" + items.map(json).joined(separator: ",") + "]"
        case let .dictionary(pairs):
            "{" + pairs.sorted { $0.key < $1.key }.map { "\(JSONStringEscaper.quoted($0.key)):\(json($0.value))" }.joined(separator: ",") + "}"
        }
    }

    /// Writes `line` to standard error in one call.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
