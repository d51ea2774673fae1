import Bridge
import MediaGraph

/// Telnyx media streaming in bidirectional RTP mode (docs/providers.md): snake_case JSON with a
/// top-level `stream_id`; PCMU, PCMA (8 kHz), big-endian L16 or OPUS payloads in base64, 20 ms
/// each (OPUS: one packet per message).
public struct TelnyxWire: ProviderWire {
    public enum Codec: String, Sendable { case pcmu = "PCMU", pcma = "PCMA", l16 = "L16", opus = "OPUS" }
    public let provider = "telnyx"
    public let path = "/telnyx"
    public let codec: Codec
    public let rateHz: Int
    public let streamID = "32de0dea-53cb-4b21-89a4-9e1819c043bc"
    /// As the graph has it: L16 little-endian (the wire swaps it to network order).
    public var format: AudioFormat {
        let encoding: AudioFormat.Encoding = switch codec {
        case .pcmu: .mulaw
        case .pcma: .alaw
        case .l16: .pcm16
        case .opus: .opus
        }
        return AudioFormat(encoding: encoding, sampleRateHz: rateHz)
    }
    public let framesPerMessage = 1

    public init(codec: Codec = .pcmu, rateHz: Int = 8000) {
        self.codec = codec
        self.rateHz = rateHz
    }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        [.text(#"{"event":"connected","version":"1.0.0"}"#),
         .text(#"{"event":"start","sequence_number":"1","start":{"user_id":"3e6f995f-85f7-4705-9741-53b116d28237","call_control_id":"v3:telnyx-call-1","call_session_id":"session-1","from":"+13122010094","to":"+13122010095","custom_parameters":\#(WireJSON.object(parameters)),"media_format":{"encoding":"\#(codec.rawValue)","sample_rate":\#(rateHz),"channels":1}},"stream_id":"\#(streamID)"}"#)]
    }

    /// L16 audio is given little-endian (as the graph makes it) and sent big-endian.
    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage {
        .text(#"{"event":"media","sequence_number":"\#(chunk + 1)","media":{"track":"inbound","chunk":"\#(chunk)","timestamp":"\#(timestampMs)","payload":"\#(WireJSON.base64(wire(audio)))"},"stream_id":"\#(streamID)"}"#)
    }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"event":"dtmf","stream_id":"\#(streamID)","sequence_number":"5","dtmf":{"digit":\#(JSONStringEscaper.quoted(digit))}}"#)
    }

    public func stop() -> ClientMessage? {
        .text(#"{"event":"stop","sequence_number":"9","stop":{"user_id":"3e6f995f","call_control_id":"v3:telnyx-call-1"},"stream_id":"\#(streamID)"}"#)
    }

    public func markPlayed(_ name: String) -> ClientMessage? {
        .text(#"{"event":"mark","sequence_number":"7","stream_id":"\#(streamID)","mark":{"name":\#(JSONStringEscaper.quoted(name))}}"#)
    }

    public func cleared() -> ClientMessage? { nil }

    public func read(text: String) -> ServerMessage {
        switch WireJSON.string(text, ["event"]) {
        case "media": WireJSON.audio(text, ["media", "payload"]).map { .media(wire($0)) } ?? .other
        case "mark": WireJSON.string(text, ["mark", "name"]).map(ServerMessage.mark) ?? .other
        case "clear": .clear
        default: .other
        }
    }

    public func read(binary: [UInt8]) -> ServerMessage { .other }

    /// L16 byte order swapped (network ↔ host); G.711 unchanged.
    private func wire(_ audio: [UInt8]) -> [UInt8] {
        guard codec == .l16 else { return audio }
        var swapped = audio
        for i in stride(from: 0, to: swapped.count - 1, by: 2) { swapped.swapAt(i, i + 1) }
        return swapped
    }
}
