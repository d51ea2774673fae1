/// A validating JSON parser that records the document as a flat "tape" of tokens over the
/// caller's bytes, with no allocation per message (the tape is preallocated once per connection).
///
/// ```
///  {"event":"media","media":{"payload":"AAA"}}
///  tape: [0] object(next: 6)  [1] "event"  [2] "media"  [3] "media"  [4] object(next: 6)  [5] "payload" …
/// ```
/// Each token stores its byte range and `next`, the index just past its subtree, so members are
/// walked without recursion. Invariant: `i < tokens[i].next <= count` for every token `i`.
///
/// Limits are checked while parsing, and a document over them is rejected, not truncated:
/// ``maxTokens`` tokens and ``maxDepth`` levels of nesting. An object that names a key twice is
/// rejected too: with "last wins" a `media` message ending in `,"event":"stop"` would end a call.
///
/// - Threading: one instance per connection, used on its event loop only.
/// - Ownership: owns its token storage; tokens refer to the bytes passed to `parse`, which must
///   stay valid while the tape is read.
/// - Realtime: `parse` and every accessor are allocation-free (`string(_:)` allocates).
public final class JSONTape {
    /// What a token is.
    public enum Kind: UInt8 { case object, array, string, number, bool, null }

    /// One value (or object key) in the document.
    public struct Token {
        public var kind: Kind
        /// True when a string contains a backslash escape (its raw bytes are not its value).
        public var escaped: Bool
        /// Byte range in the document; for strings, inside the quotes.
        public var start: Int32
        public var end: Int32
        /// Index of the first token after this value's subtree.
        public var next: Int32
    }

    public let maxTokens: Int
    public let maxDepth = 16
    private let tokens: UnsafeMutableBufferPointer<Token>
    public private(set) var count = 0
    private var bytes = UnsafeRawBufferPointer(start: nil, count: 0)

    public init(maxTokens: Int = 512) {
        self.maxTokens = maxTokens
        tokens = .allocate(capacity: maxTokens)
    }

    deinit { tokens.deallocate() }

    /// Parses `document` (one JSON value, surrounding whitespace allowed). On success the root is token 0.
    ///
    /// - Realtime: safe.
    public func parse(_ document: UnsafeRawBufferPointer) throws(JSONError) {
        bytes = document
        count = 0
        var position = 0
        try parseValue(&position, depth: 0)
        skipWhitespace(&position)
        guard position == document.count else { throw .trailingBytes(at: position) }
    }

    public subscript(index: Int) -> Token { tokens[index] }

    /// Calls `body(keyIndex, valueIndex)` for each member of the object at `object`, in order.
    ///
    /// - Realtime: safe.
    @inline(__always)
    public func forEachMember<E: Error>(of object: Int, _ body: (Int, Int) throws(E) -> Void) throws(E) {
        guard tokens[object].kind == .object else { return }
        var i = object + 1
        let end = Int(tokens[object].next)
        while i < end {
            let value = i + 1
            try body(i, value)
            i = Int(tokens[value].next)
        }
    }

    /// The value of member `key` of the object at `object`, or nil when absent (or `object` is no
    /// object or out of range).
    ///
    /// - Realtime: safe.
    public func member(_ key: StaticString, of object: Int) -> Int? {
        guard object >= 0, object < count else { return nil }
        var found: Int?
        forEachMember(of: object) { k, v in if found == nil, equals(k, key) { found = v } }
        return found
    }

    /// True when the string token at `index` is exactly `literal` (escaped strings never match).
    ///
    /// - Realtime: safe.
    @inline(__always)
    public func equals(_ index: Int, _ literal: StaticString) -> Bool {
        let t = tokens[index]
        guard t.kind == .string, !t.escaped, Int(t.end - t.start) == literal.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + Int(t.start), literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// The raw bytes of the token at `index` (inside the quotes for strings).
    ///
    /// - Realtime: safe.
    @inline(__always)
    public func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let t = tokens[index]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(t.start)..<Int(t.end)])
    }

    /// The decoded value of a string token (escapes resolved), or nil for other kinds.
    ///
    /// - Realtime: unsafe (allocates); for rare control messages only.
    public func string(_ index: Int) -> String? {
        let t = tokens[index]
        guard t.kind == .string else { return nil }
        guard t.escaped else { return String(decoding: raw(index), as: UTF8.self) }
        return JSONStringUnescaper.unescape(raw(index))
    }

    /// A non-negative integer written as a JSON number or as a string of decimal digits (Twilio
    /// counters are strings). Nil when anything but 1…18 digits is there.
    ///
    /// - Realtime: safe.
    public func unsignedInteger(_ index: Int) -> UInt64? {
        let t = tokens[index]
        guard (t.kind == .string && !t.escaped) || t.kind == .number else { return nil }
        let digits = raw(index)
        guard (1...18).contains(digits.count) else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    // MARK: Parser

    private func append(_ kind: Kind, _ start: Int, _ end: Int, escaped: Bool = false) throws(JSONError) -> Int {
        guard count < maxTokens else { throw .tooManyTokens(maxTokens) }
        tokens[count] = Token(kind: kind, escaped: escaped, start: Int32(start), end: Int32(end), next: Int32(count + 1))
        count += 1
        return count - 1
    }

    @inline(__always)
    private func skipWhitespace(_ p: inout Int) {
        while p < bytes.count {
            switch bytes[p] {
            case 0x20, 0x09, 0x0A, 0x0D: p += 1
            default: return
            }
        }
    }

    private func parseValue(_ p: inout Int, depth: Int) throws(JSONError) {
        skipWhitespace(&p)
        guard p < bytes.count else { throw .unexpectedEnd }
        switch bytes[p] {
        case UInt8(ascii: "{"): try parseContainer(&p, depth: depth, kind: .object, close: UInt8(ascii: "}"))
        case UInt8(ascii: "["): try parseContainer(&p, depth: depth, kind: .array, close: UInt8(ascii: "]"))
        case UInt8(ascii: "\""): try parseString(&p)
        case UInt8(ascii: "t"): try parseLiteral(&p, "true", .bool)
        case UInt8(ascii: "f"): try parseLiteral(&p, "false", .bool)
        case UInt8(ascii: "n"): try parseLiteral(&p, "null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber(&p)
        default: throw .unexpectedByte(at: p)
        }
    }

    private func parseContainer(_ p: inout Int, depth: Int, kind: Kind, close: UInt8) throws(JSONError) {
        guard depth < maxDepth else { throw .tooDeep(maxDepth) }
        let index = try append(kind, p, p)
        p += 1
        skipWhitespace(&p)
        if p < bytes.count, bytes[p] == close {
            p += 1
        } else {
            while true {
                if kind == .object {
                    skipWhitespace(&p)
                    guard p < bytes.count, bytes[p] == UInt8(ascii: "\"") else { throw p < bytes.count ? .unexpectedByte(at: p) : .unexpectedEnd }
                    let keyStart = p
                    try parseString(&p)
                    guard !isDuplicateKey(count - 1, in: index) else { throw .duplicateKey(at: keyStart) }
                    skipWhitespace(&p)
                    guard p < bytes.count, bytes[p] == UInt8(ascii: ":") else { throw p < bytes.count ? .unexpectedByte(at: p) : .unexpectedEnd }
                    p += 1
                }
                try parseValue(&p, depth: depth + 1)
                skipWhitespace(&p)
                guard p < bytes.count else { throw .unexpectedEnd }
                if bytes[p] == UInt8(ascii: ",") { p += 1; continue }
                if bytes[p] == close { p += 1; break }
                throw .unexpectedByte(at: p)
            }
        }
        tokens[index].end = Int32(p)
        tokens[index].next = Int32(count)
    }

    /// True when the key token `key` (the newest) repeats a key of the object at `object`, byte
    /// for byte as written. An escaped twin (`"ev\u0065nt"`) is not caught, and need not be: lookups
    /// (``equals(_:_:)``) never match an escaped key, so it cannot stand in for one. Quadratic in the
    /// object's members, which the token limit bounds; no allocation.
    private func isDuplicateKey(_ key: Int, in object: Int) -> Bool {
        let new = tokens[key]
        var i = object + 1
        while i < key {
            let old = tokens[i]
            if old.end - old.start == new.end - new.start,
               memcmp(bytes.baseAddress! + Int(old.start), bytes.baseAddress! + Int(new.start), Int(new.end - new.start)) == 0 {
                return true
            }
            i = Int(tokens[i + 1].next)
        }
        return false
    }

    private func parseString(_ p: inout Int) throws(JSONError) {
        p += 1
        let start = p
        var escaped = false
        while p < bytes.count {
            let b = bytes[p]
            if b == UInt8(ascii: "\"") {
                _ = try append(.string, start, p, escaped: escaped)
                p += 1
                return
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                p += 1
                guard p < bytes.count else { break }
                switch bytes[p] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    p += 1
                case UInt8(ascii: "u"):
                    guard p + 4 < bytes.count else { throw .unexpectedEnd }
                    for k in 1...4 where !bytes[p + k].isHexDigit { throw .badEscape(at: p) }
                    p += 5
                default:
                    throw .badEscape(at: p)
                }
                continue
            }
            guard b >= 0x20 else { throw .unexpectedByte(at: p) }
            p += 1
        }
        throw .unexpectedEnd
    }

    private func parseLiteral(_ p: inout Int, _ word: StaticString, _ kind: Kind) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard p + n <= bytes.count, memcmp(bytes.baseAddress! + p, word.utf8Start, n) == 0 else { throw .unexpectedByte(at: p) }
        _ = try append(kind, p, p + n)
        p += n
    }

    private func parseNumber(_ p: inout Int) throws(JSONError) {
        let start = p
        if bytes[p] == UInt8(ascii: "-") { p += 1 }
        let digitsStart = p
        while p < bytes.count, bytes[p].isDigit { p += 1 }
        guard p > digitsStart else { throw .unexpectedByte(at: p) }
        if p < bytes.count, bytes[p] == UInt8(ascii: ".") {
            p += 1
            let fraction = p
            while p < bytes.count, bytes[p].isDigit { p += 1 }
            guard p > fraction else { throw .unexpectedByte(at: p) }
        }
        if p < bytes.count, bytes[p] == UInt8(ascii: "e") || bytes[p] == UInt8(ascii: "E") {
            p += 1
            if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
            let exponent = p
            while p < bytes.count, bytes[p].isDigit { p += 1 }
            guard p > exponent else { throw .unexpectedByte(at: p) }
        }
        _ = try append(.number, start, p)
    }
}

extension UInt8 {
    @inline(__always) var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    @inline(__always) var isHexDigit: Bool { isDigit || (self | 0x20 >= 0x61 && self | 0x20 <= 0x66) }
}

#if canImport(Glibc)
import Glibc
#endif
