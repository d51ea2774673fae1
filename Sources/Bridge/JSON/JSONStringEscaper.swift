/// Escapes text for a JSON string literal (quotes, backslashes, control characters).
///
/// - Realtime: unsafe (allocates); for ids and names set once per call.
public enum JSONStringEscaper {
    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String { "\"" + escape(text) + "\"" }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count) + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
