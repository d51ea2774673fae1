/// Finds a TOML table header with no name where one must start — `[ = "x"`, `[[ ,`, a `[` ending
/// its line — which the
/// TOML parser under TOMLKit (toml++ 3) does not report but asserts on: an abort in a debug build,
/// undefined behaviour in a release one (found by `scripts/fuzz config`; the input is in
/// Fuzz/Corpus/config). Checked before the parser sees the text, so such a file gets a syntax error
/// naming its line like any other.
///
/// It reads just enough TOML to know where a line starts a header: outside multi-line strings and
/// outside an array or inline table that a value left open, a line whose first character is `[`.
///
/// - Threading: a pure function; any thread.
enum TableHeaderCheck {
    /// The line and column (1-based) of the first header whose name starts with a character no key
    /// can start with, or nil.
    static func firstNamelessHeader(in text: String) -> (line: Int, column: Int)? {
        var depth = 0
        var multiline: [UInt8]? = nil
        for (index, line) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let bytes = Array(line)
            var i = 0
            if multiline == nil, depth == 0 {
                while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
                if i < bytes.count, bytes[i] == UInt8(ascii: "[") {
                    i += 1
                    if i < bytes.count, bytes[i] == UInt8(ascii: "[") { i += 1 }
                    while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
                    // The line's end counts too: the parser does not look past it for the name.
                    if i == bytes.count || (!startsKey(bytes[i]) && bytes[i] != UInt8(ascii: "]")) { return (index + 1, i + 1) }
                    continue
                }
            }
            scan(bytes, from: i, depth: &depth, multiline: &multiline)
        }
        return nil
    }

    /// Whether `byte` can start a key: a bare key's letters, digits, `-`, `_`, or a quote.
    private static func startsKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "\""), UInt8(ascii: "'"):
            true
        default:
            false
        }
    }

    /// Follows one line's strings, comments and brackets from `start`, updating the nesting of open
    /// arrays and inline tables and whether a multi-line string is still open (its delimiter).
    private static func scan(_ bytes: [UInt8], from start: Int, depth: inout Int, multiline: inout [UInt8]?) {
        let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
        func opens(_ q: UInt8, at i: Int) -> Bool { i + 2 < bytes.count && bytes[i] == q && bytes[i + 1] == q && bytes[i + 2] == q }
        var i = start
        while i < bytes.count {
            if let delimiter = multiline {
                if opens(delimiter[0], at: i) {
                    multiline = nil
                    i += 3
                } else {
                    i += delimiter[0] == quote && bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                continue
            }
            switch bytes[i] {
            case UInt8(ascii: "#"):
                return
            case quote, apostrophe:
                let q = bytes[i]
                if opens(q, at: i) {
                    multiline = [q, q, q]
                    i += 3
                    continue
                }
                i += 1
                while i < bytes.count, bytes[i] != q { i += q == quote && bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                i += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
                i += 1
            default:
                i += 1
            }
        }
    }
}
