/// The payload of a recoverable Realtime `error` event, `{type, code, message, param, event_id}`,
/// with constructors that word messages the way the real servers do (docs/agents.md §1 "Errors").
///
/// - Threading: a value; any thread.
/// - Ownership: a value.
/// - Realtime: unsafe (builds strings); test and load-generator code only.
struct FakeRealtimeError: Error {
    /// `invalid_request_error` for everything the client got wrong.
    var type = "invalid_request_error"
    /// The machine-readable code, such as `invalid_value`.
    var code: String
    var message: String
    /// The offending parameter's dotted path, when there is one.
    var param: String?

    /// `unknown_parameter`: "Unknown parameter: 'session.foo'."
    static func unknownParameter(_ param: String) -> FakeRealtimeError {
        FakeRealtimeError(code: "unknown_parameter", message: "Unknown parameter: '\(param)'.", param: param)
    }

    /// `missing_required_parameter`: "Missing required parameter: 'session.type'."
    static func missing(_ param: String) -> FakeRealtimeError {
        FakeRealtimeError(code: "missing_required_parameter", message: "Missing required parameter: '\(param)'.", param: param)
    }

    /// `invalid_value`: "Invalid value: 'x'. Supported values are: 'a' and 'b'."
    static func invalidValue(_ param: String, got: FakeJSON, supported: [String]) -> FakeRealtimeError {
        let shown = got.string ?? got.text
        var message = "Invalid value: '\(shown)'."
        if !supported.isEmpty {
            let quoted = supported.map { "'\($0)'" }
            let list = quoted.count == 1 ? quoted[0] : quoted.dropLast().joined(separator: ", ") + ", and " + quoted.last!
            message += " Supported values are: \(list)."
        }
        return FakeRealtimeError(code: "invalid_value", message: message, param: param)
    }

    /// `invalid_type`: "Invalid type for 'x': expected an object, but got a string instead."
    static func invalidType(_ param: String, expected: String, got: FakeJSON) -> FakeRealtimeError {
        FakeRealtimeError(
            code: "invalid_type",
            message: "Invalid type for '\(param)': expected \(expected), but got \(got.typeDescription) instead.", param: param)
    }

    /// `integer_below_min_value` / `decimal_below_min_value`, or the `…_above_max_value` pair when
    /// `value` is not below `min`: "Invalid 'audio_end_ms': integer below minimum value. Expected a
    /// value >= 0, but got -5 instead."
    static func outOfRange(_ param: String, value: Double, min: Double?, max: Double?, integer: Bool) -> FakeRealtimeError {
        let kind = integer ? "integer" : "decimal"
        func show(_ x: Double) -> String { x.rounded() == x && abs(x) < 1e15 ? String(Int(x)) : String(x) }
        if let min, value < min {
            return FakeRealtimeError(
                code: "\(kind)_below_min_value",
                message: "Invalid '\(param)': \(kind) below minimum value. Expected a value >= \(show(min)), but got \(show(value)) instead.",
                param: param)
        }
        return FakeRealtimeError(
            code: "\(kind)_above_max_value",
            message: "Invalid '\(param)': \(kind) above maximum value. Expected a value <= \(show(max ?? 0)), but got \(show(value)) instead.",
            param: param)
    }

    /// The `error` object of the event; `clientEventID` is the `event_id` of the event that caused it.
    func json(clientEventID: String?) -> FakeJSON {
        [
            "type": .string(type),
            "code": .string(code),
            "message": .string(message),
            "param": param.map(FakeJSON.string) ?? .null,
            "event_id": clientEventID.map(FakeJSON.string) ?? .null,
        ]
    }
}
