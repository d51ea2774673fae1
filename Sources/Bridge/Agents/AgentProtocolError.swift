/// Why a message from an agent was not understood. The message is dropped, counted and logged
/// (the first few per call); the call goes on.
enum AgentProtocolError: Error, Equatable, CustomStringConvertible {
    /// Not valid JSON, or over the parser's limits.
    case malformedJSON(JSONError)
    /// Valid JSON whose root is not an object, or with no string `type`.
    case noType
    /// A known event without a field voiced needs.
    case missingField(String)
    /// Audio that is not standard base64.
    case badAudio

    var description: String {
        switch self {
        case let .malformedJSON(error): "malformed JSON: \(error)"
        case .noType: "not an object with a string 'type'"
        case let .missingField(name): "missing or mistyped field '\(name)'"
        case .badAudio: "audio is not base64"
        }
    }
}
