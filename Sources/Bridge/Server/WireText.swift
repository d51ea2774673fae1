import Logging

/// Text that came off a socket (a provider's or an agent's), made safe to log: every character
/// outside printable ASCII is escaped (`\n`, `\u{2028}`), so a value can never forge a log line or
/// a terminal sequence, and only the first ``limit`` characters are kept, with the rest counted
/// (`…(+59800 bytes)`), so a 60 KB field costs the log no more than a short one.
///
/// Every log line that carries a value from the wire passes it through here (`.wire(text)`).
///
/// - Threading: a value type; any thread (not media threads: it allocates).
struct WireText: CustomStringConvertible {
    /// Characters kept by default.
    static let limit = 120

    let description: String

    init(_ text: some StringProtocol, limit: Int = WireText.limit) {
        var out = ""
        out.reserveCapacity(min(text.utf8.count, limit) + 16)
        var kept = 0
        var keptBytes = 0
        for scalar in text.unicodeScalars {
            guard kept < limit else { break }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16))}"
            }
            kept += 1
            keptBytes += UTF8.width(scalar)
        }
        let rest = text.utf8.count - keptBytes
        if rest > 0 { out += "…(+\(rest) bytes)" }
        description = out
    }
}

extension Logger.MetadataValue {
    /// A value from the wire, escaped and length-capped (see ``WireText``).
    static func wire(_ text: some StringProtocol, limit: Int = WireText.limit) -> Logger.MetadataValue {
        .string(WireText(text, limit: limit).description)
    }

    /// Key–value pairs from the wire (e.g. a call's custom parameters): at most `maxPairs`, in key
    /// order, each key and value escaped and capped.
    static func wire(_ pairs: [String: String], maxPairs: Int = 8) -> Logger.MetadataValue {
        var items = pairs.sorted { $0.key < $1.key }.prefix(maxPairs).map {
            "\(WireText($0.key, limit: 40)): \(WireText($0.value, limit: 80))"
        }
        if pairs.count > maxPairs { items.append("…(+\(pairs.count - maxPairs) more)") }
        return .string("[" + items.joined(separator: ", ") + "]")
    }
}
