/// How to reach and set up a Realtime agent: OpenAI's Realtime API (GA), Azure OpenAI's GA
/// endpoint, or Azure AI Voice Live. The wire facts behind each field are in docs/agents.md.
///
/// - Threading: a value; safe anywhere. Its `description` never shows the key.
public struct RealtimeSettings: Sendable, CustomStringConvertible {
    /// Which shape of the protocol the endpoint speaks.
    public enum Dialect: String, Sendable, CaseIterable {
        /// OpenAI Realtime GA (also Azure OpenAI's `/openai/v1/realtime`): nested `audio` session,
        /// `response.output_audio.delta`.
        case ga
        /// Azure AI Voice Live: flat session fields, `response.audio.delta`.
        case voiceLive = "voice-live"
    }

    /// The audio both ways.
    public enum Audio: String, Sendable, CaseIterable {
        /// G.711 μ-law at 8 kHz: a μ-law provider's payloads pass through with no conversion.
        case mulaw
        /// 16-bit PCM at 24 kHz, through the graph's resampler.
        case pcm24 = "pcm24k"
    }

    /// Server-side turn detection, sent in `session.update`.
    public struct TurnDetection: Sendable {
        /// `server_vad`, `semantic_vad`, or (Voice Live) `azure_semantic_vad`.
        public var type = "server_vad"
        /// Speech probability threshold, 0…1: default 0.5.
        public var threshold = 0.5
        /// Audio kept before detected speech: default 300 ms.
        public var prefixPaddingMs = 300
        /// Silence that ends a turn: default 500 ms (sent explicitly: the server's default differs).
        public var silenceDurationMs = 500
        /// The server cancels its running response when the caller starts speaking: default true.
        /// voiced then sends no `response.cancel` for interruptions the agent detected itself.
        public var interruptResponse = true
    }

    public var dialect: Dialect = .ga
    /// `wss://api.openai.com/v1/realtime?model=gpt-realtime` and the like (`ws://` for local proxies and tests).
    public var url: String
    /// The model, added to the URL's query when the URL has none.
    public var model = "gpt-realtime"
    public var voice = "marin"
    public var instructions = "You are a helpful voice assistant on a phone call. Keep your answers short."
    public var audio: Audio = .mulaw
    public var turnDetection = TurnDetection()
    /// Model that transcribes the caller (nil: off); transcripts are logged at debug and counted.
    public var transcriptionModel: String?
    /// The API key (from the environment variable a profile names; never logged).
    public var apiKey: String
    /// Sent as `api-key: KEY` (Azure) rather than `Authorization: Bearer KEY` (OpenAI). Default: by host.
    public var useAPIKeyHeader: Bool?
    /// TCP + TLS + upgrade must finish within this: default 5 s.
    public var connectTimeout: Duration = .seconds(5)

    /// Settings with every default but the endpoint and key.
    public init(dialect: Dialect = .ga, url: String = "wss://api.openai.com/v1/realtime", apiKey: String) {
        self.dialect = dialect
        self.url = url
        self.apiKey = apiKey
    }

    /// The URL with `model` in its query when it had no query.
    var resolvedURL: String { url.contains("?") ? url : "\(url)?model=\(model)" }

    /// The header that carries the key.
    var authorizationHeader: (String, String) {
        let azure = useAPIKeyHeader ?? (dialect == .voiceLive || AgentSocket.Endpoint(url: url)?.host.hasSuffix(".azure.com") == true)
        return azure ? ("api-key", apiKey) : ("Authorization", "Bearer \(apiKey)")
    }

    public var description: String {
        "\(dialect.rawValue) \(AgentSocket.Endpoint(url: resolvedURL).map(\.description) ?? "?") model=\(model) voice=\(voice) audio=\(audio.rawValue)"
    }
}
