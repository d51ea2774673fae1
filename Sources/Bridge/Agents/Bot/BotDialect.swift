import MediaGraph
import NIOCore

/// One protocol a bot can speak (docs/bot-protocol.md): how voiced opens the conversation, sends
/// the caller's audio and what it noticed, and reads what the bot says.
///
/// - Threading: one per connector, on the call's event loop.
protocol BotDialect: AnyObject {
    /// The WebSocket subprotocol voiced asks for (nil: none).
    var subprotocol: String? { get }
    /// Whether the bot must answer the opening with `accept` before it is sent audio.
    var needsAccept: Bool { get }
    /// What voiced sends first.
    func opening(_ call: AgentCall, format: AudioFormat) -> [String]
    /// The bot accepted (voiced.v1): audio goes as JSON from now on when `jsonAudio`.
    func accepted(jsonAudio: Bool)
    /// One or more 20 ms frames of caller audio.
    func callerAudio(_ frames: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage
    /// A notice, or nil when the dialect has no such message.
    func notice(_ notice: BotNotice) -> String?
    /// What voiced sends as the call ends, before closing (nil: nothing).
    func closing() -> String?
    func parse(text: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage
    func parse(binary: UnsafeRawBufferPointer) throws(AgentProtocolError) -> BotMessage
}
