/// A server event of a Realtime agent that voiced acts on (docs/agents.md), in either dialect.
///
/// - Ownership: `.audioDelta`'s `base64` points into the message; valid until the handler returns.
enum RealtimeEvent {
    case sessionCreated
    case sessionUpdated
    /// The agent's voice detector heard the caller start (`input_audio_buffer.speech_started`).
    case speechStarted(audioStartMs: UInt64?)
    case speechStopped
    case responseCreated(id: String)
    /// Agent speech: GA `response.output_audio.delta`, Voice Live `response.audio.delta`.
    case audioDelta(responseID: String, itemID: String, base64: UnsafeRawBufferPointer)
    /// The item's audio is complete (also when cut short).
    case audioDone(responseID: String, itemID: String)
    /// `response.done`: `status` is completed, cancelled, failed or incomplete.
    case responseDone(id: String, status: String)
    /// A finished transcript: of the agent's speech (`fromAgent`) or of the caller's.
    case transcript(fromAgent: Bool, text: String)
    /// `error`: most are recoverable (the session stays open).
    case error(code: String, message: String)
    /// A known event voiced has no use for (rate limits, item bookkeeping, transcript deltas…).
    case ignored
    /// An event type voiced does not know.
    case unknown(String)
}

/// Parses one text message of a Realtime agent into a ``RealtimeEvent``, strictly for what voiced
/// uses and lenient about everything else (unknown fields are ignored).
///
/// - Threading: one per connector, on the call's event loop.
/// - Ownership: owns its ``JSONTape`` (1,024 tokens: a delta needs about 15; a larger event — a
///   long `response.done` — is reported as malformed and ignored).
/// - Realtime: a delta is parsed without allocation but for its two id strings.
final class RealtimeMessageParser {
    private let tape = JSONTape(maxTokens: 1024)
    private let dialect: RealtimeSettings.Dialect

    init(dialect: RealtimeSettings.Dialect) { self.dialect = dialect }

    func parse(_ bytes: UnsafeRawBufferPointer) throws(AgentProtocolError) -> RealtimeEvent {
        do {
            try tape.parse(bytes)
        } catch {
            throw .malformedJSON(error)
        }
        guard tape[0].kind == .object, let type = tape.member("type", of: 0), tape[type].kind == .string else { throw .noType }
        let isGA = dialect == .ga
        if tape.equals(type, isGA ? "response.output_audio.delta" : "response.audio.delta") {
            let delta = try field("delta", of: 0)
            let audio = tape.raw(delta)
            guard !tape[delta].escaped, Base64.isValid(audio) || audio.isEmpty else { throw .badAudio }
            return .audioDelta(responseID: try string("response_id"), itemID: try string("item_id"), base64: audio)
        }
        if tape.equals(type, isGA ? "response.output_audio.done" : "response.audio.done") {
            return .audioDone(responseID: try string("response_id"), itemID: try string("item_id"))
        }
        if tape.equals(type, "input_audio_buffer.speech_started") {
            return .speechStarted(audioStartMs: tape.member("audio_start_ms", of: 0).flatMap(tape.unsignedInteger))
        }
        if tape.equals(type, "input_audio_buffer.speech_stopped") { return .speechStopped }
        if tape.equals(type, "response.created") {
            return .responseCreated(id: try string("id", in: try field("response", of: 0)))
        }
        if tape.equals(type, "response.done") {
            let response = try field("response", of: 0)
            return .responseDone(id: try string("id", in: response), status: (try? string("status", in: response)) ?? "")
        }
        if tape.equals(type, isGA ? "response.output_audio_transcript.done" : "response.audio_transcript.done") {
            return .transcript(fromAgent: true, text: (try? string("transcript")) ?? "")
        }
        if tape.equals(type, "conversation.item.input_audio_transcription.completed") {
            return .transcript(fromAgent: false, text: (try? string("transcript")) ?? "")
        }
        if tape.equals(type, "error") {
            let error = try field("error", of: 0)
            return .error(code: (try? string("code", in: error)) ?? "", message: (try? string("message", in: error)) ?? "")
        }
        if tape.equals(type, "session.created") { return .sessionCreated }
        if tape.equals(type, "session.updated") { return .sessionUpdated }
        let name = tape.string(type) ?? ""
        for prefix in Self.ignoredPrefixes where name.hasPrefix(prefix) { return .ignored }
        return .unknown(name)
    }

    /// Event families voiced knows and does not need (either dialect).
    private static let ignoredPrefixes = [
        "rate_limits.", "conversation.item.", "response.output_item.", "response.content_part.", "response.output_audio",
        "response.audio", "response.output_text", "response.text", "input_audio_buffer.", "warning", "response.function_call",
        "response.mcp", "mcp_",
    ]

    private func field(_ key: StaticString, of object: Int) throws(AgentProtocolError) -> Int {
        guard let value = tape.member(key, of: object) else { throw .missingField("\(key)") }
        return value
    }

    private func string(_ key: StaticString, in object: Int = 0) throws(AgentProtocolError) -> String {
        guard let value = tape.member(key, of: object), let text = tape.string(value) else { throw .missingField("\(key)") }
        return text
    }
}
