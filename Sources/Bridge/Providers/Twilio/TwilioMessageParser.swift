/// Turns one Twilio text frame into a ``TwilioEvent``, strictly (shared/protocols.md §1.2, §1.4):
/// counters must be decimal-digit strings, `media.payload` must be non-empty standard base64,
/// unknown fields are ignored, unknown events are returned as ``TwilioEvent/unknown(_:)``.
///
/// - Threading: one per connection, on its event loop.
/// - Ownership: owns the ``JSONTape``; a returned `.media` borrows the frame bytes.
/// - Realtime: parsing a `media` message is allocation-free; other events allocate their strings.
public final class TwilioMessageParser {
    private let tape = JSONTape(maxTokens: 256)

    public init() {}

    /// Parses `frame`. Throws ``ProviderProtocolError`` for anything malformed.
    public func parse(_ frame: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> TwilioEvent {
        do {
            try tape.parse(frame)
        } catch {
            throw .malformedJSON(error)
        }
        guard tape[0].kind == .object else { throw .notAnObject }
        var event = -1, streamSid = -1, media = -1, start = -1, dtmf = -1, mark = -1
        try tape.forEachMember(of: 0) { key, value throws(ProviderProtocolError) in
            if tape.equals(key, "event") { event = value }
            else if tape.equals(key, "streamSid") { streamSid = value }
            else if tape.equals(key, "media") { media = value }
            else if tape.equals(key, "start") { start = value }
            else if tape.equals(key, "dtmf") { dtmf = value }
            else if tape.equals(key, "mark") { mark = value }
        }
        guard event >= 0, tape[event].kind == .string else { throw .missingField("event") }
        if tape.equals(event, "media") { return .media(try parseMedia(media, streamSid: streamSid)) }
        if tape.equals(event, "start") { return .start(try parseStart(start)) }
        if tape.equals(event, "mark") { return .mark(name: try string(in: mark, "name", field: "mark.name")) }
        if tape.equals(event, "dtmf") { return .dtmf(digit: try digit(in: dtmf)) }
        if tape.equals(event, "stop") { return .stop }
        if tape.equals(event, "connected") { return .connected }
        return .unknown(tape.string(event) ?? "?")
    }

    private func parseMedia(_ media: Int, streamSid: Int) throws(ProviderProtocolError) -> TwilioMedia {
        guard media >= 0, tape[media].kind == .object else { throw .missingField("media") }
        guard streamSid >= 0, tape[streamSid].kind == .string else { throw .missingField("streamSid") }
        var payload = -1, timestamp = -1, chunk = -1
        try tape.forEachMember(of: media) { key, value throws(ProviderProtocolError) in
            if tape.equals(key, "payload") { payload = value }
            else if tape.equals(key, "timestamp") { timestamp = value }
            else if tape.equals(key, "chunk") { chunk = value }
        }
        guard payload >= 0, tape[payload].kind == .string else { throw .missingField("media.payload") }
        guard timestamp >= 0 else { throw .missingField("media.timestamp") }
        guard chunk >= 0 else { throw .missingField("media.chunk") }
        guard tape[timestamp].kind == .string, let ts = tape.unsignedInteger(timestamp) else { throw .badCounter("media.timestamp") }
        guard tape[chunk].kind == .string, let ch = tape.unsignedInteger(chunk) else { throw .badCounter("media.chunk") }
        let text = tape.raw(payload)
        guard !tape[payload].escaped, Base64.isValid(text) else { throw .badPayload }
        return TwilioMedia(payload: text, streamSid: tape.raw(streamSid), timestampMs: ts, chunk: ch)
    }

    private func parseStart(_ start: Int) throws(ProviderProtocolError) -> TwilioStart {
        guard start >= 0, tape[start].kind == .object else { throw .missingField("start") }
        var result = TwilioStart(streamSid: "", callSid: "", accountSid: "", tracks: [], customParameters: [:],
                                 encoding: "", sampleRateHz: 0, channels: 0)
        var format = -1
        try tape.forEachMember(of: start) { key, value throws(ProviderProtocolError) in
            if tape.equals(key, "streamSid") { result.streamSid = tape.string(value) ?? "" }
            else if tape.equals(key, "callSid") { result.callSid = tape.string(value) ?? "" }
            else if tape.equals(key, "accountSid") { result.accountSid = tape.string(value) ?? "" }
            else if tape.equals(key, "mediaFormat") { format = value }
            else if tape.equals(key, "tracks"), tape[value].kind == .array {
                var i = value + 1
                while i < Int(tape[value].next) {
                    if let track = tape.string(i) { result.tracks.append(track) }
                    i = Int(tape[i].next)
                }
            } else if tape.equals(key, "customParameters") {
                try tape.forEachMember(of: value) { k, v throws(ProviderProtocolError) in
                    if let name = tape.string(k), let text = tape.string(v) { result.customParameters[name] = text }
                }
            }
        }
        guard !result.streamSid.isEmpty else { throw .missingField("start.streamSid") }
        guard format >= 0, tape[format].kind == .object else { throw .missingField("start.mediaFormat") }
        try tape.forEachMember(of: format) { key, value throws(ProviderProtocolError) in
            if tape.equals(key, "encoding") { result.encoding = tape.string(value) ?? "" }
            else if tape.equals(key, "sampleRate") { result.sampleRateHz = Int(tape.unsignedInteger(value) ?? 0) }
            else if tape.equals(key, "channels") { result.channels = Int(tape.unsignedInteger(value) ?? 0) }
        }
        return result
    }

    /// `dtmf.digit`: one key of a telephone keypad, `0`–`9`, `*`, `#` or `A`–`D`.
    private func digit(in dtmf: Int) throws(ProviderProtocolError) -> String {
        let digit = try string(in: dtmf, "digit", field: "dtmf.digit")
        guard digit.utf8.count == 1, DTMF.isKey(digit.utf8.first!) else { throw .badDTMF }
        return digit
    }

    private func string(in object: Int, _ key: StaticString, field: String) throws(ProviderProtocolError) -> String {
        var found: String?
        if object >= 0 {
            try tape.forEachMember(of: object) { k, v throws(ProviderProtocolError) in
                if tape.equals(k, key) { found = tape.string(v) }
            }
        }
        guard let found, !found.isEmpty else { throw .missingField(field) }
        return found
    }
}
