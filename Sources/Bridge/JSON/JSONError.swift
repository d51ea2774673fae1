/// Why a message is not valid JSON (or is over the parser's limits).
public enum JSONError: Error, Equatable, CustomStringConvertible {
    /// The document ended inside a value.
    case unexpectedEnd
    /// A byte that cannot start or continue a value here (offset in the message).
    case unexpectedByte(at: Int)
    /// A backslash escape that JSON does not define.
    case badEscape(at: Int)
    /// Bytes after the root value.
    case trailingBytes(at: Int)
    /// More values than the tape holds.
    case tooManyTokens(Int)
    /// Nesting deeper than the parser allows.
    case tooDeep(Int)
    /// An object names the same key twice (offset of the second).
    case duplicateKey(at: Int)

    public var description: String {
        switch self {
        case .unexpectedEnd: "unexpected end of JSON"
        case let .unexpectedByte(at): "unexpected byte at offset \(at)"
        case let .badEscape(at): "invalid escape at offset \(at)"
        case let .trailingBytes(at): "trailing bytes at offset \(at)"
        case let .tooManyTokens(n): "more than \(n) JSON values"
        case let .tooDeep(n): "nested deeper than \(n) levels"
        case let .duplicateKey(at): "duplicate key at offset \(at)"
        }
    }
}
