import Bridge
import MediaGraph

/// Vonage Voice API WebSockets (docs/providers.md): `websocket:connected` with the content type and
/// the NCCO's headers flattened beside it, then binary PCM16LE frames of exactly 20 ms both ways;
/// `notify` comes back as `websocket:notify`, `clear` as `websocket:cleared`. No `stop`.
public struct VonageWire: ProviderWire {
    public let provider = "vonage"
    public let path = "/vonage"
    public let rateHz: Int
    public var format: AudioFormat { AudioFormat(encoding: .pcm16, sampleRateHz: rateHz) }
    public let framesPerMessage = 1

    public init(rateHz: Int = 16000) { self.rateHz = rateHz }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        var fields = parameters
        fields["event"] = "websocket:connected"
        fields["content-type"] = "audio/l16;rate=\(rateHz)"
        return [.text(WireJSON.object(fields))]
    }

    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage { .binary(audio) }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"event":"websocket:dtmf","digit":\#(JSONStringEscaper.quoted(digit)),"duration":260}"#)
    }

    public func stop() -> ClientMessage? { nil }

    public func markPlayed(_ name: String) -> ClientMessage? {
        .text(#"{"event":"websocket:notify","payload":{"name":\#(JSONStringEscaper.quoted(name))}}"#)
    }

    public func cleared() -> ClientMessage? { .text(#"{"event":"websocket:cleared"}"#) }

    public func read(text: String) -> ServerMessage {
        switch WireJSON.string(text, ["action"]) {
        case "notify": WireJSON.string(text, ["payload", "name"]).map(ServerMessage.mark) ?? .other
        case "clear": .clear
        default: .other
        }
    }

    public func read(binary: [UInt8]) -> ServerMessage { .media(binary) }
}
