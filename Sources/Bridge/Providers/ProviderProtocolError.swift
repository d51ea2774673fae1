/// Why a provider message was rejected. The message is dropped and counted; the call goes on
/// unless the case says otherwise.
public enum ProviderProtocolError: Error, Equatable, CustomStringConvertible {
    /// The text frame is not valid JSON.
    case malformedJSON(JSONError)
    /// The JSON is valid but the root is not an object.
    case notAnObject
    /// A required field is absent or has the wrong JSON type.
    case missingField(String)
    /// A counter (`sequenceNumber`, `chunk`, `timestamp`) is not a string of decimal digits.
    case badCounter(String)
    /// `media.payload` is empty or not standard base64.
    case badPayload
    /// `dtmf.digit` is not one keypad key (`0`–`9`, `*`, `#`, `A`–`D`).
    case badDTMF
    /// A binary frame from a provider that sends JSON text only.
    case binaryFrame
    /// An audio frame of the wrong size (Vonage frames are exactly 20 ms).
    case badFrameSize(bytes: Int, expected: Int)
    /// A frame the jitter buffer had already given up waiting for (Telnyx reorders by chunk).
    case lateFrame
    /// An Opus payload that is not one packet of 20 ms (`durationMs` nil: not an Opus packet at all).
    case badOpusPacket(durationMs: Int?)
    /// `media`, `mark` or `dtmf` arrived before `start`.
    case beforeStart(event: String)
    /// A second `start` on a stream that already started.
    case secondStart
    /// The stream id (`streamSid`, `stream_sid`, `streamId`) differs from the one in `start`.
    case wrongStreamSid
    /// The call's audio format is not one voiced takes from this provider; the call is refused (closed).
    case unsupportedMediaFormat(String)
    /// A message after `stop`.
    case afterStop(event: String)
    /// `start.customParameters.graph` names no preset, or a graph that cannot be built; the call is
    /// refused (closed with 1008).
    case badGraph(String)
    /// `start.customParameters.agent` names no agent profile; the call is refused (closed with 1008).
    case badAgent(String)
    /// A client frame without a mask (RFC 6455 §5.1); the connection is failed (closed with 1002).
    case unmaskedFrame
    /// A frame with RSV1, RSV2 or RSV3 set: voiced negotiates no extension (§5.2); closed with 1002.
    case reservedBits
    /// A frame with a reserved opcode, 0x3–0x7 or 0xB–0xF (§5.2); closed with 1002.
    case reservedOpcode(UInt8)
    /// A text message or close reason that is not UTF-8 (§8.1); closed with 1007.
    case badUTF8
    /// A close frame whose payload is 1 byte (nil) or whose code may not be sent (§7.4); closed with 1002.
    case badCloseCode(UInt16?)

    public var description: String {
        switch self {
        case let .malformedJSON(error): "malformed JSON: \(error)"
        case .notAnObject: "message is not a JSON object"
        case let .missingField(name): "missing or mistyped field '\(name)'"
        case let .badCounter(name): "'\(name)' is not a string of decimal digits"
        case .badPayload: "media.payload is empty or not base64"
        case .badDTMF: "dtmf.digit is not one keypad key (0-9, *, #, A-D)"
        case .binaryFrame: "binary frame (this provider sends JSON text only)"
        case let .badFrameSize(bytes, expected): "audio frame of \(bytes) bytes (expected \(expected): 20 ms)"
        case .lateFrame: "media chunk arrived after the jitter buffer stopped waiting for it"
        case .badOpusPacket(nil): "media.payload is not an Opus packet"
        case let .badOpusPacket(ms?): "Opus packet of \(ms) ms (expected one 20 ms packet per message)"
        case let .beforeStart(event): "'\(event)' before 'start'"
        case .secondStart: "second 'start' on one stream"
        case .wrongStreamSid: "stream id differs from the one in 'start'"
        case let .unsupportedMediaFormat(format): "unsupported media format \(format)"
        case let .afterStop(event): "'\(event)' after 'stop'"
        case let .badGraph(reason): "customParameters.graph: \(reason)"
        case let .badAgent(reason): "customParameters.agent: \(reason)"
        case .unmaskedFrame: "WebSocket frame without a mask"
        case .reservedBits: "WebSocket frame with a reserved bit set (no extension is negotiated)"
        case let .reservedOpcode(opcode): "WebSocket frame with reserved opcode \(opcode)"
        case .badUTF8: "WebSocket text or close reason that is not UTF-8"
        case let .badCloseCode(code?): "WebSocket close code \(code) may not be sent"
        case .badCloseCode(nil): "WebSocket close payload of 1 byte (a code takes 2)"
        }
    }

    /// A short stable label for metrics.
    public var metricLabel: String {
        switch self {
        case .malformedJSON: "malformed_json"
        case .notAnObject: "not_an_object"
        case .missingField: "missing_field"
        case .badCounter: "bad_counter"
        case .badPayload: "bad_payload"
        case .badDTMF: "bad_dtmf"
        case .binaryFrame: "binary_frame"
        case .badFrameSize: "bad_frame_size"
        case .lateFrame: "late_frame"
        case .badOpusPacket: "bad_opus_packet"
        case .beforeStart: "before_start"
        case .secondStart: "second_start"
        case .wrongStreamSid: "wrong_stream_sid"
        case .unsupportedMediaFormat: "unsupported_media_format"
        case .afterStop: "after_stop"
        case .badGraph: "bad_graph"
        case .badAgent: "bad_agent"
        case .unmaskedFrame: "ws_unmasked"
        case .reservedBits: "ws_reserved_bits"
        case .reservedOpcode: "ws_reserved_opcode"
        case .badUTF8: "ws_bad_utf8"
        case .badCloseCode: "ws_bad_close_code"
        }
    }
}
