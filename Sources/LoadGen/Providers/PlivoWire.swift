import Bridge
import MediaGraph

/// Plivo audio streams, bidirectional (docs/providers.md): camelCase JSON; `playAudio` in,
/// `checkpoint` → `playedStream`, `clearAudio` → `clearedAudio`; μ-law 8 kHz or PCM16LE
/// (`audio/x-l16`) at 8 or 16 kHz; timestamps in Unix ms.
public struct PlivoWire: ProviderWire {
    public let provider = "plivo"
    public let path = "/plivo"
    public let muLaw: Bool
    public let rateHz: Int
    public let streamID = "87654321-4321-4321-4321-cba987654321"
    public var format: AudioFormat { AudioFormat(encoding: muLaw ? .mulaw : .pcm16, sampleRateHz: rateHz) }
    public let framesPerMessage = 1
    private static let epochMs = 1_705_312_200_000

    public init(muLaw: Bool = true, rateHz: Int = 8000) {
        self.muLaw = muLaw
        self.rateHz = rateHz
    }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        let headers = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        return [.text(#"{"event":"start","sequenceNumber":1,"start":{"callId":"12345678-1234-1234-1234-123456789abc","streamId":"\#(streamID)","accountId":"MAXXXXXXXXXXXXXXXXXX","tracks":["inbound"],"mediaFormat":{"encoding":"\#(muLaw ? "audio/x-mulaw" : "audio/x-l16")","sampleRate":\#(rateHz)}},"extra_headers":\#(JSONStringEscaper.quoted(headers))}"#)]
    }

    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage {
        .text(#"{"event":"media","sequenceNumber":\#(chunk + 1),"streamId":"\#(streamID)","media":{"track":"inbound","timestamp":"\#(Self.epochMs + timestampMs)","chunk":\#(chunk),"payload":"\#(WireJSON.base64(audio))"},"extra_headers":"{}"}"#)
    }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"event":"dtmf","sequenceNumber":7,"streamId":"\#(streamID)","dtmf":{"track":"inbound","digit":\#(JSONStringEscaper.quoted(digit)),"timestamp":"\#(Self.epochMs)"}}"#)
    }

    public func stop() -> ClientMessage? { nil }

    public func markPlayed(_ name: String) -> ClientMessage? {
        .text(#"{"event":"playedStream","sequenceNumber":9,"streamId":"\#(streamID)","name":\#(JSONStringEscaper.quoted(name))}"#)
    }

    public func cleared() -> ClientMessage? { .text(#"{"event":"clearedAudio","sequenceNumber":10,"streamId":"\#(streamID)"}"#) }

    public func read(text: String) -> ServerMessage {
        switch WireJSON.string(text, ["event"]) {
        case "playAudio": WireJSON.audio(text, ["media", "payload"]).map(ServerMessage.media) ?? .other
        case "checkpoint": WireJSON.string(text, ["name"]).map(ServerMessage.mark) ?? .other
        case "clearAudio": .clear
        default: .other
        }
    }

    public func read(binary: [UInt8]) -> ServerMessage { .other }
}
