/// A kind of agent and its settings: what a named profile in the configuration (or `--agent`)
/// makes each call talk to.
///
/// - Threading: a value; safe anywhere. Its description never shows a key.
public enum AgentProfile: Sendable, CustomStringConvertible {
    /// Says every caller frame back (benchmarks).
    case echo
    /// The built-in demo: greets, then plays each caller turn back.
    case demo
    /// An OpenAI Realtime, Azure OpenAI or Azure Voice Live session.
    case openai(RealtimeSettings)
    /// The user's own bot over `voiced.v1` or Twilio Media Streams.
    case ws(BotSettings)

    /// The connector names `connector = …` and `--agent` accept.
    public static let connectors = ["demo", "echo", "openai", "ws"]
    /// The profiles every server has without a configuration file.
    public static var builtInNames: [String] { AgentDirectory.builtIn.keys.sorted() }

    public var description: String {
        switch self {
        case .echo: "echo"
        case .demo: "demo"
        case let .openai(settings): "openai \(settings)"
        case let .ws(settings): "ws \(settings)"
        }
    }
}
