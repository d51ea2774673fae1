import Bridge
import MediaGraph

/// Exotel's Voicebot applet (docs/providers.md): snake_case JSON, base64 PCM16LE at `rateHz`,
/// about 100 ms per inbound `media`.
public struct ExotelWire: ProviderWire {
    public let provider = "exotel"
    public let path = "/exotel"
    public let rateHz: Int
    public let streamSid = "MZ" + String(repeating: "e", count: 32)
    public var format: AudioFormat { AudioFormat(encoding: .pcm16, sampleRateHz: rateHz) }
    public let framesPerMessage = 5
    public let minimumFramesPlayed = 5

    public init(rateHz: Int = 8000) { self.rateHz = rateHz }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        [.text(#"{"event":"connected"}"#),
         .text(#"{"event":"start","sequence_number":"1","stream_sid":"\#(streamSid)","start":{"stream_sid":"\#(streamSid)","call_sid":"CAexotel1","account_sid":"ACexotel","from":"+919876543210","to":"+918047491899","custom_parameters":\#(WireJSON.object(parameters)),"media_format":{"encoding":"audio/x-raw","sample_rate":"\#(rateHz)","bit_rate":"16"}}}"#)]
    }

    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage {
        .text(#"{"event":"media","sequence_number":"\#(chunk + 1)","stream_sid":"\#(streamSid)","media":{"chunk":"\#(chunk)","timestamp":"\#(timestampMs)","payload":"\#(WireJSON.base64(audio))"}}"#)
    }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"event":"dtmf","stream_sid":"\#(streamSid)","dtmf":{"digit":\#(JSONStringEscaper.quoted(digit)),"duration":"100"}}"#)
    }

    public func stop() -> ClientMessage? {
        .text(#"{"event":"stop","stream_sid":"\#(streamSid)","stop":{"call_sid":"CAexotel1","account_sid":"ACexotel","reason":"callended"}}"#)
    }

    public func markPlayed(_ name: String) -> ClientMessage? {
        .text(#"{"event":"mark","stream_sid":"\#(streamSid)","mark":{"name":\#(JSONStringEscaper.quoted(name))}}"#)
    }

    public func cleared() -> ClientMessage? { nil }

    public func read(text: String) -> ServerMessage {
        switch WireJSON.string(text, ["event"]) {
        case "media": WireJSON.audio(text, ["media", "payload"]).map(ServerMessage.media) ?? .other
        case "mark": WireJSON.string(text, ["mark", "name"]).map(ServerMessage.mark) ?? .other
        case "clear": .clear
        default: .other
        }
    }

    public func read(binary: [UInt8]) -> ServerMessage { .other }
}
