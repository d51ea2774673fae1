/// Resolves JSON string escapes (`\n`, `\"`, `\uXXXX` with surrogate pairs) into a `String`.
///
/// - Realtime: unsafe (allocates); used for rare control-message strings only.
enum JSONStringUnescaper {
    /// `raw` is the validated content between the quotes.
    static func unescape(_ raw: UnsafeRawBufferPointer) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        var i = 0
        var pendingHigh: UInt32?
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else {
                utf8.append(b)
                i += 1
                continue
            }
            flush()
            let e = raw[i + 1]
            i += 2
            var scalar: UInt32
            switch e {
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                scalar = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<(i + 4)]), as: UTF8.self), radix: 16) ?? 0xFFFD
                i += 4
            default: scalar = UInt32(e)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                pendingHigh = scalar
                continue
            }
            if let high = pendingHigh, (0xDC00...0xDFFF).contains(scalar) {
                scalar = 0x10000 + ((high - 0xD800) << 10) + (scalar - 0xDC00)
            }
            pendingHigh = nil
            scalars.append(Unicode.Scalar(scalar) ?? "\u{FFFD}")
        }
        flush()
        return String(scalars)
    }
}
