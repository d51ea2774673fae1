/// Standard base64 (RFC 4648: `+/`, `=` padding), strict, over caller-owned buffers.
///
/// - Threading: stateless; any thread.
/// - Realtime: safe (no allocation; tables are static).
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// 0xFF marks a byte outside the alphabet.
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// Bytes `decode` may write for `encodedCount` characters.
    public static func maxDecodedCount(_ encodedCount: Int) -> Int { encodedCount / 4 * 3 }
    /// Bytes `text` decodes to, from its length and padding alone (for well-formed text).
    public static func decodedCount(_ text: UnsafeRawBufferPointer) -> Int {
        var n = text.count / 4 * 3
        if text.count >= 1, text[text.count - 1] == UInt8(ascii: "=") { n -= 1 }
        if text.count >= 2, text[text.count - 2] == UInt8(ascii: "=") { n -= 1 }
        return n
    }

    /// Characters `encode` writes for `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// True when `text` is non-empty, a multiple of 4 long, uses only the alphabet, and has at most
    /// two `=` and only at the end.
    public static func isValid(_ text: UnsafeRawBufferPointer) -> Bool {
        let n = text.count
        guard n > 0, n % 4 == 0 else { return false }
        var padding = 0
        if text[n - 1] == UInt8(ascii: "=") { padding += 1 }
        if padding == 1, text[n - 2] == UInt8(ascii: "=") { padding += 1 }
        return reverse.withUnsafeBufferPointer { table in
            var bad: UInt8 = 0
            for i in 0..<(n - padding) { bad |= table[Int(text[i])] }
            return bad & 0xC0 == 0
        }
    }

    /// Decodes `text` into `out`. Returns the byte count, or nil when `text` is empty, not a
    /// multiple of 4, holds a character outside the alphabet, has misplaced padding, or does not fit.
    public static func decode(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int? {
        let n = text.count
        guard n > 0, n % 4 == 0 else { return nil }
        var padding = 0
        if text[n - 1] == UInt8(ascii: "=") { padding += 1 }
        if text[n - 2] == UInt8(ascii: "=") { padding += 1 }
        let decodedCount = n / 4 * 3 - padding
        guard decodedCount <= out.count else { return nil }
        return reverse.withUnsafeBufferPointer { table -> Int? in
            var o = 0
            var i = 0
            while i < n {
                let last = i + 4 == n
                let c0 = table[Int(text[i])], c1 = table[Int(text[i + 1])]
                var c2 = table[Int(text[i + 2])], c3 = table[Int(text[i + 3])]
                if last, padding > 0 {
                    if padding == 2 { c2 = 0 }
                    c3 = 0
                }
                guard (c0 | c1 | c2 | c3) & 0xC0 == 0 else { return nil }
                let word = UInt32(c0) << 18 | UInt32(c1) << 12 | UInt32(c2) << 6 | UInt32(c3)
                out[o] = UInt8(truncatingIfNeeded: word >> 16)
                if o + 1 < decodedCount { out[o + 1] = UInt8(truncatingIfNeeded: word >> 8) }
                if o + 2 < decodedCount { out[o + 2] = UInt8(truncatingIfNeeded: word) }
                o += 3
                i += 4
            }
            return decodedCount
        }
    }

    /// Encodes `bytes` into `out`, which must hold `encodedCount(bytes.count)`. Returns characters written.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        let n = bytes.count
        precondition(out.count >= encodedCount(n), "base64 output buffer too small")
        return alphabet.withUnsafeBufferPointer { table -> Int in
            var i = 0
            var o = 0
            while i + 3 <= n {
                let word = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[o] = table[Int(word >> 18 & 63)]
                out[o + 1] = table[Int(word >> 12 & 63)]
                out[o + 2] = table[Int(word >> 6 & 63)]
                out[o + 3] = table[Int(word & 63)]
                i += 3
                o += 4
            }
            let rest = n - i
            if rest > 0 {
                let word = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[o] = table[Int(word >> 18 & 63)]
                out[o + 1] = table[Int(word >> 12 & 63)]
                out[o + 2] = rest == 2 ? table[Int(word >> 6 & 63)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
                o += 4
            }
            return o
        }
    }
}
