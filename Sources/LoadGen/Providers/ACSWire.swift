import Bridge
import MediaGraph

/// Azure Communication Services bidirectional streaming (docs/providers.md): `AudioMetadata`, then
/// `AudioData` of base64 PCM16LE, 20 ms each; voiced answers with PascalCase `AudioData` and
/// `StopAudio`. ACS has no playback markers.
public struct ACSWire: ProviderWire {
    public let provider = "acs"
    public let path = "/acs"
    public let rateHz: Int
    public var format: AudioFormat { AudioFormat(encoding: .pcm16, sampleRateHz: rateHz) }
    public let framesPerMessage = 1

    public init(rateHz: Int = 16000) { self.rateHz = rateHz }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        [.text(#"{"kind":"AudioMetadata","audioMetadata":{"subscriptionId":"89e8cb59-b991-48b0-b154-1db84f16a077","encoding":"PCM","sampleRate":\#(rateHz),"channels":1,"length":\#(bytesPerFrame)}}"#)]
    }

    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage {
        .text(#"{"kind":"AudioData","audioData":{"timestamp":"\#(Self.timestamp(ms: timestampMs))","participantRawID":"8:acs:caller","data":"\#(WireJSON.base64(audio))","silent":false}}"#)
    }

    /// ISO 8601 UTC with milliseconds, `timestampMs` after 2024-11-15T19:00:00Z (cheap enough for
    /// the load generator: no formatter per message).
    static func timestamp(ms: Int) -> String {
        let total = 19 * 3_600_000 + ms
        let (hours, minutes, seconds, millis) = (total / 3_600_000, total / 60_000 % 60, total / 1000 % 60, total % 1000)
        let day = 15 + hours / 24
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let milli = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "2024-11-\(two(day))T\(two(hours % 24)):\(two(minutes)):\(two(seconds)).\(milli)Z"
    }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"kind":"DtmfData","dtmfData":{"data":\#(JSONStringEscaper.quoted(digit))}}"#)
    }

    public func stop() -> ClientMessage? { nil }
    public func markPlayed(_ name: String) -> ClientMessage? { nil }
    public func cleared() -> ClientMessage? { nil }

    public func read(text: String) -> ServerMessage {
        switch WireJSON.string(text, ["Kind"]) {
        case "AudioData": WireJSON.audio(text, ["AudioData", "Data"]).map(ServerMessage.media) ?? .other
        case "StopAudio": .clear
        default: .other
        }
    }

    public func read(binary: [UInt8]) -> ServerMessage { .other }
}
