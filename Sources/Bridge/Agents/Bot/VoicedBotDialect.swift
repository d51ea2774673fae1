import MediaGraph
import NIOCore

/// `voiced.v1`, voiced's own bot protocol (docs/bot-protocol.md): JSON text messages with a
/// `type`, audio as binary frames (or base64 JSON for bots that ask for it).
///
/// - Threading: one per connector, on the call's event loop.
final class VoicedBotDialect: BotDialect {
    let subprotocol: String? = "voiced.v1"
    let needsAccept = true
    private var jsonAudio = false
    private let tape = JSONTape(maxTokens: 256)

    func opening(_ call: AgentCall, format: AudioFormat) -> [String] {
        let p = call.provider
        let parameters = p.customParameters.sorted { $0.key < $1.key }
            .map { #""\#(esc($0.key))":"\#(esc($0.value))""# }.joined(separator: ",")
        return [#"{"type":"start","version":1,"call":{"id":"\#(call.callID)","provider":"\#(esc(p.provider))","provider_call_id":"\#(esc(p.callID))","stream_id":"\#(esc(p.streamID))","from":\#(Self.quoted(p.from)),"to":\#(Self.quoted(p.to)),"custom_parameters":{\#(parameters)}},"formats":[\#(Self.json(format))]}"#]
    }

    func accepted(jsonAudio: Bool) { self.jsonAudio = jsonAudio }

    private static let audioPrefix: StaticString = #"{"type":"audio","audio":""#

    func callerAudio(_ frames: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        guard jsonAudio else { return WebSocketMessage(isText: false, data: allocator.buffer(bytes: frames)) }
        let encoded = Base64.encodedCount(frames.count)
        var buffer = allocator.buffer(capacity: Self.audioPrefix.utf8CodeUnitCount + encoded + 2)
        buffer.writeStaticString(Self.audioPrefix)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encoded) { Base64.encode(frames, into: $0) }
        buffer.writeStaticString(#""}"#)
        return WebSocketMessage(isText: true, data: buffer)
    }

    func notice(_ notice: BotNotice) -> String? {
        switch notice {
        case let .speechStarted(ms): #"{"type":"speech_started","media_ms":\#(ms)}"#
        case let .speechStopped(ms): #"{"type":"speech_stopped","media_ms":\#(ms)}"#
        case let .dtmf(digit): #"{"type":"dtmf","digit":"\#(esc(digit))"}"#
        case let .mark(name, played): #"{"type":"mark","name":"\#(esc(name))","status":"\#(played ? "played" : "cleared")"}"#
        case let .interrupted(utterance, heardMs): #"{"type":"interrupted","utterance_id":"\#(esc(utterance))","heard_ms":\#(heardMs)}"#
        case let .node(event):
            #"{"type":"node_event","name":"\#(esc(event.name.description))","detail":"\#(esc(event.detail.description))","value":\#(event.value.isFinite ? event.value : 0),"media_ms":\#(event.mediaMs)}"#
        }
    }

    func closing() -> String? { nil }

    func parse(binary: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage {
        .audio(binary, base64: false, utterance: nil)
    }

    func parse(text bytes: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage {
        do {
            try tape.parse(bytes)
        } catch {
            throw .malformedJSON(error)
        }
        guard tape[0].kind == .object, let type = tape.member("type", of: 0), tape[type].kind == .string else { throw .noType }
        if tape.equals(type, "audio") {
            guard let audio = tape.member("audio", of: 0), tape[audio].kind == .string, !tape[audio].escaped,
                  Base64.isValid(tape.raw(audio)) else { throw .badAudio }
            return .audio(tape.raw(audio), base64: true, utterance: string("utterance_id"))
        }
        if tape.equals(type, "accept") {
            guard let input = format("input"), let output = format("output") else { throw .missingField("input/output") }
            return .accept(input: input, output: output, jsonAudio: string("audio_transport") == "json")
        }
        if tape.equals(type, "utterance") { return .utterance(id: try required("id")) }
        if tape.equals(type, "utterance_done") { return .utteranceDone(id: try required("id")) }
        if tape.equals(type, "mark") { return .mark(name: try required("name")) }
        if tape.equals(type, "clear") { return .clear }
        if tape.equals(type, "hangup") { return .hangup(reason: string("reason") ?? "") }
        if tape.equals(type, "transfer") { return .transfer(to: try required("to")) }
        if tape.equals(type, "error") { return .error(message: string("message") ?? "") }
        return .unknown(tape.string(type) ?? "")
    }

    private func string(_ key: StaticString, in object: Int = 0) -> String? {
        tape.member(key, of: object).flatMap(tape.string)
    }

    private func required(_ key: StaticString) throws(AgentProtocolError) -> String {
        guard let text = string(key), !text.isEmpty else { throw .missingField("\(key)") }
        return text
    }

    /// `{"encoding": "mulaw"|"pcm16", "sample_rate": N}` at member `key`.
    private func format(_ key: StaticString) -> AudioFormat? {
        guard let object = tape.member(key, of: 0), let rate = tape.member("sample_rate", of: object).flatMap(tape.unsignedInteger),
              let encoding = string("encoding", in: object) else { return nil }
        switch encoding {
        case "mulaw": return AudioFormat(encoding: .mulaw, sampleRateHz: Int(rate))
        case "pcm16": return AudioFormat(encoding: .pcm16, sampleRateHz: Int(rate))
        default: return nil
        }
    }

    static func json(_ format: AudioFormat) -> String {
        #"{"encoding":"\#(format.encoding == .mulaw ? "mulaw" : "pcm16")","sample_rate":\#(format.sampleRateHz)}"#
    }

    private static func quoted(_ text: String?) -> String { text.map { #""\#(JSONStringEscaper.escape($0))""# } ?? "null" }
    private func esc(_ text: String) -> String { JSONStringEscaper.escape(text) }
}
