import Bridge
import Foundation

/// A JSON value for the fake Realtime server: parsed from client events, and written in key order
/// so server events read like the real ones (`type` first, then `event_id`).
///
/// Parsing goes through `JSONSerialization` and keeps `true`, `1` and `1.5` apart (a Realtime field
/// such as `audio_end_ms` must be an integer). Object keys of parsed values keep no order; objects
/// built here keep the order they were written in.
///
/// - Threading: a value; any thread.
/// - Ownership: owns its storage.
/// - Realtime: unsafe (allocates); test and load-generator code only.
enum FakeJSON {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([FakeJSON])
    /// Keys in writing order; a key appears at most once.
    case object([(String, FakeJSON)])

    /// Parses `text`; nil when it is not JSON.
    static func parse(_ text: String) -> FakeJSON? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        return FakeJSON(foundation: value)
    }

    subscript(key: String) -> FakeJSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    var string: String? { if case let .string(s) = self { s } else { nil } }
    var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    /// The value as an integer: an `int`, or a `double` with no fractional part.
    var int: Int? {
        switch self {
        case let .int(i): i
        case let .double(d) where d.rounded() == d && abs(d) < 1e15: Int(d)
        default: nil
        }
    }
    var double: Double? {
        switch self {
        case let .int(i): Double(i)
        case let .double(d): d
        default: nil
        }
    }
    var array: [FakeJSON]? { if case let .array(a) = self { a } else { nil } }
    var pairs: [(String, FakeJSON)]? { if case let .object(p) = self { p } else { nil } }
    var isNull: Bool { if case .null = self { true } else { false } }

    /// The JSON type name used in OpenAI-style error messages ("an object", "a string", …).
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a decimal"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Returns an object with `key` set to `value` (replacing it in place, or appended).
    func setting(_ key: String, _ value: FakeJSON) -> FakeJSON {
        var out = pairs ?? []
        if let i = out.firstIndex(where: { $0.0 == key }) { out[i].1 = value } else { out.append((key, value)) }
        return .object(out)
    }

    /// Compact JSON text.
    var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += d.isFinite ? "\(d)" : "null"
        case let .string(s): Self.writeString(s, into: &out)
        case let .array(values):
            out += "["
            for (i, v) in values.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case let .object(pairs):
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                Self.writeString(k, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\"" + JSONStringEscaper.escape(s) + "\""
    }
}

extension FakeJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    typealias Key = String
    typealias Value = FakeJSON

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(floatLiteral value: Double) { self = .double(value) }
    init(nilLiteral: ()) { self = .null }
    init(arrayLiteral elements: FakeJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, FakeJSON)...) { self = .object(elements) }
}

extension FakeJSON {
    /// Converts what `JSONSerialization` returns. Booleans are told from numbers by their
    /// Objective-C type code (`c`), since `1 is Bool` holds for an `NSNumber`; `d`/`f` are decimals.
    init?(foundation value: Any) {
        switch value {
        case is NSNull: self = .null
        case let s as String: self = .string(s)
        case let n as NSNumber:
            switch String(cString: n.objCType) {
            case "c", "B": self = .bool(n.boolValue)
            case "d", "f": self = .double(n.doubleValue)
            default: self = .int(n.intValue)
            }
        case let a as [Any]:
            var values: [FakeJSON] = []
            values.reserveCapacity(a.count)
            for element in a {
                guard let v = FakeJSON(foundation: element) else { return nil }
                values.append(v)
            }
            self = .array(values)
        case let o as [String: Any]:
            var pairs: [(String, FakeJSON)] = []
            pairs.reserveCapacity(o.count)
            for (k, element) in o {
                guard let v = FakeJSON(foundation: element) else { return nil }
                pairs.append((k, v))
            }
            self = .object(pairs)
        default: return nil
        }
    }
}
