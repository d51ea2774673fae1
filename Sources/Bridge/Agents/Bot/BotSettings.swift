import MediaGraph

/// How to reach the user's own bot and what to speak to it (docs/bot-protocol.md).
///
/// - Threading: a value; safe anywhere. Its description never shows the token.
public struct BotSettings: Sendable, CustomStringConvertible {
    /// The protocol spoken to the bot.
    public enum Dialect: String, Sendable, CaseIterable {
        /// voiced's own protocol, WebSocket subprotocol `voiced.v1`.
        case voicedV1 = "voiced.v1"
        /// Twilio Media Streams, as if the bot were a Twilio stream server: a bot written for
        /// Twilio works unchanged behind every provider voiced serves.
        case twilio
    }

    /// The audio offered to a `voiced.v1` bot (both ways); a Twilio-dialect bot always gets μ-law 8 kHz.
    public enum Audio: String, Sendable, CaseIterable {
        case mulaw
        case pcm8k
        case pcm16k
        case pcm24k

        public var format: AudioFormat {
            switch self {
            case .mulaw: .telephonyMuLaw
            case .pcm8k: AudioFormat(encoding: .pcm16, sampleRateHz: 8000)
            case .pcm16k: AudioFormat(encoding: .pcm16, sampleRateHz: 16000)
            case .pcm24k: AudioFormat(encoding: .pcm16, sampleRateHz: 24000)
            }
        }
    }

    /// `ws://` or `wss://` URL voiced dials for every call.
    public var url: String
    public var dialect: Dialect = .voicedV1
    public var audio: Audio = .mulaw
    /// Sent as `Authorization: Bearer TOKEN` when set (from the environment variable a profile names).
    public var bearerToken: String?
    /// TCP + TLS + upgrade (and, for `voiced.v1`, the bot's `accept`) within this: default 5 s.
    public var connectTimeout: Duration = .seconds(5)

    public init(url: String, dialect: Dialect = .voicedV1) {
        self.url = url
        self.dialect = dialect
    }

    /// The format both ways.
    var format: AudioFormat { dialect == .twilio ? .telephonyMuLaw : audio.format }

    public var description: String {
        "\(dialect.rawValue) \(AgentSocket.Endpoint(url: url).map(\.description) ?? "?") audio=\(format)"
    }
}
