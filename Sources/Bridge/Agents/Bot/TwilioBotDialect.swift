import MediaGraph
import NIOCore

/// Twilio Media Streams spoken to a bot, as if voiced were Twilio (shared/protocols.md §1): the bot
/// gets `connected`, `start`, `media` (μ-law 8 kHz, 20 ms, base64), `dtmf`, its marks back and
/// `stop`; it sends `media`, `mark` and `clear`. A bot written for Twilio works unchanged behind
/// every provider voiced serves.
///
/// - Threading: one per connector, on the call's event loop.
final class TwilioBotDialect: BotDialect {
    let subprotocol: String? = nil
    let needsAccept = false
    private let tape = JSONTape(maxTokens: 64)
    private var streamSid = ""
    private var callSid = ""
    private var accountSid = ""
    private var sequence = 0
    private var chunk = 0

    func opening(_ call: AgentCall, format: AudioFormat) -> [String] {
        let p = call.provider
        // Twilio-shaped ids for providers that have none of their own.
        streamSid = p.provider == "twilio" ? p.streamID : "MZ" + Self.hex(call.callID)
        callSid = p.provider == "twilio" ? p.callID : "CA" + Self.hex(call.callID)
        accountSid = p.accountID.isEmpty ? "AC" + Self.hex(0) : p.accountID
        let parameters = p.customParameters.sorted { $0.key < $1.key }
            .map { #""\#(esc($0.key))":"\#(esc($0.value))""# }.joined(separator: ",")
        return [
            #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
            #"{"event":"start","sequenceNumber":"\#(next())","streamSid":"\#(esc(streamSid))","start":{"streamSid":"\#(esc(streamSid))","accountSid":"\#(esc(accountSid))","callSid":"\#(esc(callSid))","tracks":["inbound"],"customParameters":{\#(parameters)},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#,
        ]
    }

    func accepted(jsonAudio: Bool) {}

    func callerAudio(_ frames: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        chunk += 1
        let encoded = Base64.encodedCount(frames.count)
        var buffer = allocator.buffer(capacity: 160 + streamSid.utf8.count + encoded)
        buffer.writeStaticString(#"{"event":"media","sequenceNumber":""#)
        buffer.writeString(String(next()))
        buffer.writeStaticString(#"","streamSid":""#)
        buffer.writeString(streamSid)
        buffer.writeStaticString(#"","media":{"track":"inbound","chunk":""#)
        buffer.writeString(String(chunk))
        buffer.writeStaticString(#"","timestamp":""#)
        buffer.writeString(String((chunk - 1) * AudioFormat.frameDurationMs))
        buffer.writeStaticString(#"","payload":""#)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encoded) { Base64.encode(frames, into: $0) }
        buffer.writeStaticString(#""}}"#)
        return WebSocketMessage(isText: true, data: buffer)
    }

    func notice(_ notice: BotNotice) -> String? {
        switch notice {
        case let .dtmf(digit):
            #"{"event":"dtmf","sequenceNumber":"\#(next())","streamSid":"\#(esc(streamSid))","dtmf":{"track":"inbound_track","digit":"\#(esc(digit))"}}"#
        case let .mark(name, _):
            // Twilio returns a mark both when it played and when a clear dropped it.
            #"{"event":"mark","sequenceNumber":"\#(next())","streamSid":"\#(esc(streamSid))","mark":{"name":"\#(esc(name))"}}"#
        case .speechStarted, .speechStopped, .interrupted, .node:
            nil
        }
    }

    func closing() -> String? {
        #"{"event":"stop","sequenceNumber":"\#(next())","streamSid":"\#(esc(streamSid))","stop":{"accountSid":"\#(esc(accountSid))","callSid":"\#(esc(callSid))"}}"#
    }

    func parse(binary: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage {
        throw .noType // Twilio's protocol is text only (a binary frame is its error 31950).
    }

    func parse(text bytes: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage {
        do {
            try tape.parse(bytes)
        } catch {
            throw .malformedJSON(error)
        }
        guard tape[0].kind == .object, let event = tape.member("event", of: 0), tape[event].kind == .string else { throw .noType }
        if let sid = tape.member("streamSid", of: 0), tape.string(sid) != streamSid { throw .missingField("streamSid (not this stream's)") }
        if tape.equals(event, "media") {
            guard let media = tape.member("media", of: 0), let payload = tape.member("payload", of: media),
                  tape[payload].kind == .string, !tape[payload].escaped, Base64.isValid(tape.raw(payload)) else { throw .badAudio }
            return .audio(tape.raw(payload), base64: true, utterance: nil)
        }
        if tape.equals(event, "mark") {
            guard let mark = tape.member("mark", of: 0), let name = tape.member("name", of: mark).flatMap(tape.string), !name.isEmpty else {
                throw .missingField("mark.name")
            }
            return .mark(name: name)
        }
        if tape.equals(event, "clear") { return .clear }
        return .unknown(tape.string(event) ?? "")
    }

    private func next() -> Int {
        sequence += 1
        return sequence
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 32 - digits.count)) + digits
    }

    private func esc(_ text: String) -> String { JSONStringEscaper.escape(text) }
}
