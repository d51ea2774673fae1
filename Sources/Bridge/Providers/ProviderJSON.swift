import MediaGraph

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

    /// The member `key` of `object` that must be an object; throws `missingField(field)` otherwise.
    func object(_ key: StaticString, of object: Int, field: String) throws(ProviderProtocolError) -> Int {
        guard let value = member(key, of: object), self[value].kind == .object else { throw .missingField(field) }
        return value
    }

    /// The root's `event` member (a string); throws `missingField("event")` otherwise.
    func event() throws(ProviderProtocolError) -> Int {
        guard let event = member("event", of: 0), self[event].kind == .string else { throw .missingField("event") }
        return event
    }

    /// The events Exotel and Telnyx write alike (Twilio's shapes, snake_case or not): `mark` with
    /// `mark.name`, `dtmf` with `dtmf.digit`, `stop`, `connected`; nil for any other event.
    func twilioShapedEvent(_ event: Int) throws(ProviderProtocolError) -> ProviderEvent? {
        if equals(event, "mark") { return .mark(name: try requiredString("name", of: member("mark", of: 0), field: "mark.name")) }
        if equals(event, "dtmf") { return .dtmf(digit: try keypadDigit("digit", of: member("dtmf", of: 0), field: "dtmf.digit")) }
        if equals(event, "stop") { return .stop }
        if equals(event, "connected") { return .connected }
        return nil
    }

    /// A `media` object's base64 `payload` with its `chunk` and `timestamp` checked (digits when
    /// present), `format`'s whole samples required; when `streamKey` is given and the root holds it,
    /// it must equal `stream` (once the stream started).
    func base64Media(_ media: Int, format: AudioFormat, streamKey: StaticString, stream: [UInt8]) throws(ProviderProtocolError) -> ProviderMedia {
        if !stream.isEmpty, let id = member(streamKey, of: 0), !raw(id).elementsEqual(stream) { throw .wrongStreamSid }
        let payload = try base64Payload("payload", of: media)
        guard Base64.decodedCount(payload) % max(1, format.encoding.bytesPerSample) == 0 else { throw .badPayload }
        _ = try counter("chunk", of: media, field: "media.chunk")
        let timestamp = try counter("timestamp", of: media, field: "media.timestamp")
        return ProviderMedia(payload: payload, encoding: .base64, timestampMs: timestamp)
    }

    /// A media-format object's encoding, rate and channel count (numbers or digit strings; 1
    /// channel when absent).
    func mediaFormat(_ format: Int, encoding: StaticString = "encoding", rate: StaticString, channels: StaticString = "channels")
        -> (encoding: String, rateHz: Int, channels: Int) {
        (optionalString(encoding, of: format) ?? "",
         Int(member(rate, of: format).flatMap { unsignedInteger($0) } ?? 0),
         Int(member(channels, of: format).flatMap { unsignedInteger($0) } ?? 1))
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
