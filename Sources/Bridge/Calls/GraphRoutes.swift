/// Which named graph a call runs when it does not name one itself, by the agent profile it talks
/// to (`[agents.NAME] graph = "G"`) or the provider route it came in on
/// (`[providers.twilio] graph = "G"`): the profile's choice first, then the route's, then the
/// server's default. Every name here is one of the server's graphs (checked at start-up).
///
/// - Threading: a value; safe anywhere.
public struct GraphRoutes: Sendable, Equatable {
    /// Agent profile name → graph name.
    public var byAgent: [String: String] = [:]
    /// Provider (`twilio`, `exotel`, `acs`, `telnyx`, `vonage`, `plivo`) → graph name.
    public var byProvider: [String: String] = [:]

    public init(byAgent: [String: String] = [:], byProvider: [String: String] = [:]) {
        self.byAgent = byAgent
        self.byProvider = byProvider
    }

    /// The graph name for a call to `agent` from `provider`, if a route sets one.
    func graph(agent: String, provider: String) -> String? { byAgent[agent] ?? byProvider[provider] }

    /// Every route as `key → graph`, keys as the configuration file writes them.
    var all: [(key: String, graph: String)] {
        byAgent.sorted { $0.key < $1.key }.map { ("agents.\($0.key).graph", $0.value) }
            + byProvider.sorted { $0.key < $1.key }.map { ("providers.\($0.key).graph", $0.value) }
    }
}
