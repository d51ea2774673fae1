/// Strict readers every provider dialect uses on a parsed message (shared/protocols.md §0):
/// counters as numbers or digit strings, payloads as non-empty standard base64, DTMF as one keypad
/// key, custom parameters as a string map. Unknown fields are never an error.
///
/// - Threading: the tape's (one socket's event loop).
/// - Realtime: `counter` and `base64Payload` are allocation-free (the `media` path); the rest
///   allocate their strings (control messages only).
extension JSONTape {
    /// Parses `bytes` and checks the root is an object.
    func parseMessage(_ bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) {
        do {
            try parse(bytes)
        } catch {
            throw .malformedJSON(error)
        }
        guard self[0].kind == .object else { throw .notAnObject }
    }

    /// The string member `key` of `object`; throws `missingField(field)` when absent, empty or not a string.
    func requiredString(_ key: StaticString, of object: Int?, field: String) throws(ProviderProtocolError) -> String {
        guard let text = optionalString(key, of: object), !text.isEmpty else { throw .missingField(field) }
        return text
    }

    /// The string member `key` of `object`, or nil.
    func optionalString(_ key: StaticString, of object: Int?) -> String? {
        guard let object, let value = member(key, of: object) else { return nil }
        return string(value)
    }

    /// The boolean member `key` of `object`, or nil when absent or not a boolean.
    func flag(_ key: StaticString, of object: Int) -> Bool? {
        guard let value = member(key, of: object), self[value].kind == .bool else { return nil }
        return raw(value).first == UInt8(ascii: "t")
    }

    /// A counter member (`chunk`, `timestamp`, `sequence_number`): nil when absent; throws
    /// `badCounter(field)` when present but not digits.
    func counter(_ key: StaticString, of object: Int, field: String) throws(ProviderProtocolError) -> UInt64? {
        guard let value = member(key, of: object) else { return nil }
        guard let number = unsignedInteger(value) else { throw .badCounter(field) }
        return number
    }

    /// The base64 text of payload member `key`: non-empty standard base64, never escaped.
    func base64Payload(_ key: StaticString, of object: Int?) throws(ProviderProtocolError) -> UnsafeRawBufferPointer {
        guard let object, let value = member(key, of: object), self[value].kind == .string, !self[value].escaped else {
            throw .badPayload
        }
        let text = raw(value)
        guard Base64.isValid(text) else { throw .badPayload }
        return text
    }

    /// A DTMF digit member: exactly one keypad key.
    func keypadDigit(_ key: StaticString, of object: Int?, field: String) throws(ProviderProtocolError) -> String {
        let digit = try requiredString(key, of: object, field: field)
        guard digit.utf8.count == 1, DTMF.isKey(digit.utf8.first!) else { throw .badDTMF }
        return digit
    }

    /// The string members of the object at `object` (other kinds skipped); empty when it is no object.
    func stringMembers(of object: Int?) -> [String: String] {
        var result: [String: String] = [:]
        guard let object else { return result }
        forEachMember(of: object) { key, value in
            if let name = string(key), let text = string(value) { result[name] = text }
        }
        return result
    }
}

/// Telephone keypad keys.
enum DTMF {
    /// `0`–`9`, `*`, `#` or `A`–`D`.
    static func isKey(_ byte: UInt8) -> Bool {
        byte.isDigit || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "#") || (UInt8(ascii: "A")...UInt8(ascii: "D")).contains(byte)
    }
}
