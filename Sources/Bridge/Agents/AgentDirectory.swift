import Logging
import NIOSSL

/// The agents a server's calls can talk to, by name, and how each call's connector is made. A call
/// takes the server's default agent unless its set-up names another with
/// `<Parameter name="agent" value="NAME"/>`; a call can only choose among what the server
/// configured, never supply a URL or key itself.
///
/// - Threading: immutable after init; `connector(for:)` from any event loop.
/// - Ownership: holds what agents share across calls (the demo's rendered prompts).
struct AgentDirectory: Sendable {
    /// Why a call's choice of agent was refused.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// The `customParameters` key with which a call picks its agent.
    static let parameter = "agent"

    /// Profiles by name.
    let profiles: [String: AgentProfile]
    /// The profile calls use unless they name another.
    let defaultName: String
    /// The demo agent's prompts, rendered once (nil when no profile is a demo).
    private let demoVoice: DemoVoice?
    /// The TLS client context every `wss://` agent connection shares (certificates verified against
    /// the system's trust store); nil when no agent needs TLS.
    let tls: NIOSSLContext?

    /// The built-in agents; `defaultName` must be one of `profiles`' names.
    init(profiles: [String: AgentProfile], defaultName: String, logger: Logger) throws(Refusal) {
        guard profiles[defaultName] != nil else {
            throw Refusal(description: "no agent named '\(defaultName)' (known: \(profiles.keys.sorted().joined(separator: ", ")))")
        }
        self.profiles = profiles
        self.defaultName = defaultName
        demoVoice = profiles.values.contains { if case .demo = $0 { true } else { false } } ? DemoVoice(logger: logger) : nil
        let needsTLS = profiles.values.contains { profile in
            switch profile {
            case let .openai(settings): AgentSocket.Endpoint(url: settings.url)?.tls == true
            case let .ws(settings): AgentSocket.Endpoint(url: settings.url)?.tls == true
            case .echo, .demo: false
            }
        }
        do {
            tls = needsTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            throw Refusal(description: "TLS client set-up failed: \(error)")
        }
    }

    /// The agents every server has: `echo` and `demo`.
    static let builtIn: [String: AgentProfile] = ["echo": .echo, "demo": .demo]

    /// A new connector for the call `start` describes. Throws ``Refusal`` when the call names an
    /// agent the server does not have.
    func connector(for start: ProviderCallStart) throws(Refusal) -> AgentConnector {
        try connector(named: profileName(for: start))
    }

    /// The profile `start` names, or the default.
    func profileName(for start: ProviderCallStart) -> String {
        start.customParameters[Self.parameter] ?? defaultName
    }

    /// A new connector of profile `name`.
    func connector(named name: String) throws(Refusal) -> AgentConnector {
        guard let profile = profiles[name] else {
            throw Refusal(description: "no agent named '\(name)' (known: \(profiles.keys.sorted().joined(separator: ", ")))")
        }
        switch profile {
        case .echo: return EchoAgent()
        case .demo: return DemoAgent(voice: demoVoice!)
        case let .openai(settings): return RealtimeAgent(settings: settings, tls: tls)
        case let .ws(settings): return BotAgent(settings: settings, tls: tls)
        }
    }
}
