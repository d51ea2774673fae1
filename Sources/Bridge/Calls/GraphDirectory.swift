import MediaGraph

/// The graphs calls can run, by name — the presets and the configuration file's `[graphs]` —, the
/// nodes they are built from, and which one a call runs: the one it names
/// (`<Parameter name="graph" value="NAME"/>`), else its agent profile's or provider route's
/// (``GraphRoutes``), else the default. A call picks a graph only by name, never by writing out a
/// spec: what a call costs the server is the operator's choice, and every graph here was built for
/// every agent at start-up.
///
/// - Threading: immutable; any thread.
struct GraphDirectory: Sendable {
    /// The `customParameters` key with which a call picks its graph.
    static let parameter = "graph"

    /// Every graph a call may name.
    let named: [String: GraphSpec]
    /// What a call runs unless it names another (or a route does).
    let defaultGraph: GraphSpec
    /// Per agent profile and provider choices.
    let routes: GraphRoutes
    /// The nodes graphs are built from: the built-in ones and any an extension registered.
    let nodes: NodeCatalog
    /// What each graph costs a media thread per frame (``Graph/instructionsPerFrame``) with each
    /// agent's formats, recorded when the server built them all at start-up.
    private var costs: [CostKey: Int] = [:]

    private struct CostKey: Hashable {
        var spec: String
        var audio: AgentAudio
        var providerFormat: AudioFormat
    }

    /// The presets, then `configured` (a configured name replaces a preset). Throws
    /// ``ServerError/unknownGraph(key:name:known:)`` for a route naming a graph there is not.
    init(configured: [String: GraphSpec], defaultGraph: GraphSpec, routes: GraphRoutes = .init(),
         nodes: NodeCatalog = .builtIn) throws {
        named = GraphSpec.presets.merging(configured) { $1 }
        self.defaultGraph = defaultGraph
        self.routes = routes
        self.nodes = nodes
        for route in routes.all where named[route.graph] == nil {
            throw ServerError.unknownGraph(key: route.key, name: route.graph, known: named.keys.sorted())
        }
    }

    /// Every graph a call can run: the default, then the named ones (each spec once).
    var all: [GraphSpec] {
        let others = named.keys.sorted().map { named[$0]! }.filter { $0.text != defaultGraph.text }
        return [defaultGraph] + others
    }

    /// Records what `graph` (built from `spec` for an agent with `audio`) costs.
    mutating func record(_ graph: Graph, spec: GraphSpec, audio: AgentAudio) {
        costs[CostKey(spec: spec.text, audio: audio, providerFormat: graph.providerFormat)] = graph.instructionsPerFrame
    }

    /// What `spec` costs per frame for an agent with `audio` and a provider speaking
    /// `providerFormat`, as recorded at start-up (μ-law 8 kHz), so a call can be refused for want
    /// of budget before its graph is built. Nil for a format not recorded: the media thread pool
    /// charges the built graph's own cost when the call attaches.
    func cost(of spec: GraphSpec, for audio: AgentAudio, providerFormat: AudioFormat) -> Int? {
        costs[CostKey(spec: spec.text, audio: audio, providerFormat: providerFormat)]
    }

    /// The graph `start` names, else the one `agent`'s profile or the provider's route sets, else the
    /// default. Throws ``ProviderProtocolError/badGraph(_:)`` for a name this server does not have
    /// (a spec written into the parameter is one).
    func spec(for start: ProviderCallStart, agent: String) throws(ProviderProtocolError) -> GraphSpec {
        guard let name = start.customParameters[Self.parameter] else {
            return routes.graph(agent: agent, provider: start.provider).flatMap { named[$0] } ?? defaultGraph
        }
        guard let spec = named[name] else {
            throw .badGraph("no graph named '\(name)' on this server (known: \(named.keys.sorted().joined(separator: ", "))); "
                + "a call names a graph, it cannot write one: define it under [graphs] in the configuration file")
        }
        return spec
    }
}
