import MediaGraph

/// What a bot said, in either dialect.
///
/// - Ownership: `.audio`'s bytes point into the message; valid until the handler returns.
enum BotMessage {
    /// `voiced.v1`: the formats the bot chose, and whether it wants audio as base64 JSON.
    case accept(input: AudioFormat, output: AudioFormat, jsonAudio: Bool)
    /// Bot speech: raw bytes (binary frame) or base64 text, for `utterance` (nil: the current one).
    case audio(UnsafeRawBufferPointer, base64: Bool, utterance: String?)
    /// Audio from now on belongs to utterance `id`.
    case utterance(id: String)
    /// Utterance `id` is complete (its tail is padded and played).
    case utteranceDone(id: String)
    /// Echo `name` back once the audio before it has played (or was cleared).
    case mark(name: String)
    /// Drop the bot's audio not yet played.
    case clear
    case hangup(reason: String)
    case transfer(to: String)
    case error(message: String)
    /// Nothing to act on (Twilio `connected`, pings in JSON).
    case ignored
    case unknown(String)
}

/// What voiced tells a bot beyond the caller's audio.
enum BotNotice {
    case speechStarted(mediaMs: UInt64)
    case speechStopped(mediaMs: UInt64)
    case dtmf(digit: String)
    /// An event of a graph node's own (``NodeEvent``), e.g. an in-band DTMF detector's digit.
    case node(NodeEvent)
    /// A mark the bot sent: played, or dropped by a flush.
    case mark(name: String, played: Bool)
    /// The caller interrupted `utterance` after hearing `heardMs` of it.
    case interrupted(utterance: String, heardMs: Int)
}
