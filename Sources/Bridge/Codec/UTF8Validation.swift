/// Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) over
/// caller-owned bytes, for WebSocket text messages and close reasons (RFC 6455 §8.1).
///
/// ASCII is checked eight bytes at a time, so a JSON media message costs little more than a read.
///
/// - Threading: stateless; any thread.
/// - Realtime: safe (no allocation).
public enum UTF8Validation {
    /// True when `bytes` is well-formed UTF-8 (empty is).
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            while i + 8 <= n, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            guard i < n else { return true }
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            // Continuation bytes after `lead`, and the range the first of them must fall in (the
            // narrower ranges rule out overlong forms, surrogates and code points past U+10FFFF).
            let continuations: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: continuations = 1
            case 0xE0: continuations = 2; low = 0xA0
            case 0xED: continuations = 2; high = 0x9F
            case 0xE1...0xEF: continuations = 2
            case 0xF0: continuations = 3; low = 0x90
            case 0xF4: continuations = 3; high = 0x8F
            case 0xF1...0xF3: continuations = 3
            default: return false
            }
            guard i + continuations < n, (low...high).contains(bytes[i + 1]) else { return false }
            for j in stride(from: i + 2, through: i + continuations, by: 1) where bytes[j] & 0xC0 != 0x80 { return false }
            i += continuations + 1
        }
        return true
    }
}
