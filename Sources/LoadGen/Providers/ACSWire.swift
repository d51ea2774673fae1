import Foundation

/// Azure Communication Services bidirectional streaming (docs/providers.md): `AudioMetadata`, then
/// `AudioData` of base64 PCM16LE, 20 ms each; voiced answers with PascalCase `AudioData` and
/// `StopAudio`. ACS has no playback markers.
public struct ACSWire: ProviderWire {
    public let provider = "acs"
    public let path = "/acs"
    public let rateHz: Int
    public var bytesPerFrame: Int { rateHz / 50 * 2 }
    public let silenceByte: UInt8 = 0
    public let framesPerMessage = 1

    public init(rateHz: Int = 16000) { self.rateHz = rateHz }

    public func opening(parameters: [String: String]) -> [ClientMessage] {
        [.text(#"{"kind":"AudioMetadata","audioMetadata":{"subscriptionId":"89e8cb59-b991-48b0-b154-1db84f16a077","encoding":"PCM","sampleRate":\#(rateHz),"channels":1,"length":\#(bytesPerFrame)}}"#)]
    }

    public func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 1_731_698_172 + Double(timestampMs) / 1000))
        return .text(#"{"kind":"AudioData","audioData":{"timestamp":"\#(time)","participantRawID":"8:acs:caller","data":"\#(WireJSON.base64(audio))","silent":false}}"#)
    }

    public func dtmf(_ digit: String) -> ClientMessage {
        .text(#"{"kind":"DtmfData","dtmfData":{"data":\#(WireJSON.quoted(digit))}}"#)
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
