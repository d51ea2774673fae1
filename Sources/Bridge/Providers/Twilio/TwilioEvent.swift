/// One message Twilio Media Streams sends us (shared/protocols.md §1.2), as parsed from a ``JSONTape``.
///
/// `media` carries views into the message bytes, valid only while the tape is; every other case
/// owns its strings (those messages are rare, so they may allocate).
public enum TwilioEvent {
    case connected
    case start(TwilioStart)
    case media(TwilioMedia)
    case dtmf(digit: String)
    case mark(name: String)
    case stop
    /// An `event` we do not know: logged and ignored, never fatal.
    case unknown(String)

    /// The `event` value, for logs.
    public var name: String {
        switch self {
        case .connected: "connected"
        case .start: "start"
        case .media: "media"
        case .dtmf: "dtmf"
        case .mark: "mark"
        case .stop: "stop"
        case let .unknown(name): name
        }
    }
}

/// The `start` message: who the call is and what audio it carries.
public struct TwilioStart: Sendable, Equatable {
    public var streamSid: String
    public var callSid: String
    public var accountSid: String
    public var tracks: [String]
    public var customParameters: [String: String]
    public var encoding: String
    public var sampleRateHz: Int
    public var channels: Int
}

/// A `media` message, borrowed from the message bytes.
///
/// - Ownership: `payload` and `streamSid` point into the WebSocket frame; valid until the handler returns.
public struct TwilioMedia {
    /// Base64 text of the μ-law payload (already checked to be well-formed base64).
    public var payload: UnsafeRawBufferPointer
    /// Raw `streamSid` bytes, to compare with the stream's.
    public var streamSid: UnsafeRawBufferPointer
    /// `media.timestamp`: milliseconds since the stream started.
    public var timestampMs: UInt64
    /// `media.chunk`: the frame's number, from 1.
    public var chunk: UInt64
}
