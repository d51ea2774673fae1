import MediaGraph
import NIOCore

/// One provider's media-socket protocol: parses what the provider sends into provider-neutral
/// ``ProviderEvent``s and builds the `media` / `mark` / `clear` messages voiced sends back. A new
/// provider is a folder under `Providers/` with a dialect and one registration line in
/// ``ProviderEndpoint/all``; sockets, calls, agents and barge-in are shared.
///
/// - Threading: one instance per socket, used only on that socket's event loop.
/// - Ownership: the ``ProviderSocket`` owns it.
/// - Realtime: parsing a media message should not allocate (I/O thread only).
protocol ProviderDialect: AnyObject {
    /// The provider's name in logs, metrics and call records (`twilio`).
    var name: String { get }
    /// How the provider wants our audio cut into messages.
    var framing: OutboundFraming { get }
    /// Parses one text message. Throws ``ProviderProtocolError`` for anything malformed; a
    /// `.media` result borrows `bytes`.
    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent
    /// Parses one binary message (providers that send audio as binary frames).
    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent
    /// Checks a `start` and remembers what later messages need (the stream id); returns the audio
    /// format of the call or throws ``ProviderProtocolError/unsupportedMediaFormat(_:)``.
    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat
    /// A message that plays `audio` (provider format, whole 20 ms frames).
    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage
    /// A playback marker that comes back once everything sent before it has played; nil for a
    /// provider that has none (``OutboundFraming/returnsMarks`` false).
    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage?
    /// A message that drops all audio queued at the provider (pending marks come back).
    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage
}

/// A message and how it goes on the wire.
struct WebSocketMessage {
    var isText: Bool
    var data: ByteBuffer
}

/// What a provider said, in provider-neutral terms.
///
/// - Ownership: `.media` borrows the message bytes (valid until the handler returns); the other
///   cases own their values.
enum ProviderEvent {
    /// The socket's greeting before `start` (Twilio `connected`).
    case connected
    /// The call begins.
    case start(ProviderCallStart)
    /// Audio from the caller.
    case media(ProviderMedia)
    /// Audio accepted but held back (a jitter buffer waits for an earlier frame).
    case held
    /// A playback marker we sent has come back.
    case mark(name: String)
    /// The caller pressed a key.
    case dtmf(digit: String)
    /// The provider ends the stream.
    case stop
    /// A reply that carries nothing a call needs (Vonage `websocket:cleared`, Plivo
    /// `clearedAudio`): logged at debug.
    case acknowledged(String)
    /// The provider reports an error about what we sent (Telnyx `error`): logged and counted.
    case providerError(String)
    /// An event we do not know: logged and ignored, never fatal.
    case unknown(String)

    /// The event's name, for logs.
    var name: String {
        switch self {
        case .connected: "connected"
        case .start: "start"
        case .media, .held: "media"
        case .mark: "mark"
        case .dtmf: "dtmf"
        case .stop: "stop"
        case let .acknowledged(name): name
        case .providerError: "error"
        case let .unknown(name): name
        }
    }
}

/// The provider's description of a call, from its `start` (or what stands for it: Vonage's
/// `websocket:connected`, ACS's `AudioMetadata` with the upgrade request's headers). The same for
/// every provider: it reaches the registry (``CallRecord``), the logs, the agents and the bot
/// protocol's `start`.
public struct ProviderCallStart: Sendable, Equatable {
    /// The provider (`twilio`, `exotel`, `acs`, `telnyx`, `vonage`, `plivo`).
    public var provider: String
    /// The provider's call id (Twilio `callSid`, Exotel `call_sid`, Telnyx `call_control_id`, ACS
    /// `x-ms-call-connection-id`, Plivo `callId`); empty when the provider gives none.
    public var callID: String
    /// The provider's stream id (Twilio `streamSid`, Exotel `stream_sid`, Telnyx `stream_id`, Plivo
    /// `streamId`, ACS `subscriptionId`).
    public var streamID: String
    /// The provider account, when given.
    public var accountID: String
    /// Caller and callee, when the provider gives them.
    public var from: String?
    public var to: String?
    /// Parameters the call's set-up passed (Twilio `<Parameter>`s, Exotel and Telnyx
    /// `custom_parameters`, Vonage's NCCO headers, Plivo's extra headers).
    public var customParameters: [String: String]
    /// The audio format as the provider wrote it, for logs and errors.
    public var formatDescription: String

    public init(provider: String, callID: String, streamID: String, accountID: String = "", from: String? = nil,
                to: String? = nil, customParameters: [String: String] = [:], formatDescription: String) {
        self.provider = provider
        self.callID = callID
        self.streamID = streamID
        self.accountID = accountID
        self.from = from
        self.to = to
        self.customParameters = customParameters
        self.formatDescription = formatDescription
    }
}

/// Caller audio in a provider message.
///
/// - Ownership: `payload` points into the message; valid until the handler returns.
struct ProviderMedia {
    /// How the payload is written.
    enum Encoding {
        /// Base64 text (already checked to be well formed).
        case base64
        /// Raw bytes.
        case raw
    }
    var payload: UnsafeRawBufferPointer
    var encoding: Encoding
    /// The provider's media timestamp in ms (since the stream started, or any fixed origin), when
    /// it gives one.
    var timestampMs: UInt64?
    /// Frames of silence the dialect put in the payload for audio the provider lost (a jitter
    /// buffer that stopped waiting), counted as inserted silence.
    var concealedFrames = 0
    /// For a packetized format (Opus; raw payloads only): the length of each 20 ms packet in
    /// `payload`, in order (0: a lost packet). nil for byte-stream formats.
    var packetLengths: UnsafeBufferPointer<Int>? = nil
}
