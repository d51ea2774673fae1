/// The nodes a ``GraphSpec`` can name, each with a factory that makes a fresh per-call instance
/// from a ``NodeContext`` (the call's ``GraphScope``, the spec's settings for the node, the
/// provider's and agent's rates). A value: start from ``builtIn`` and ``register(_:_:)`` nodes of
/// your own — from any module, through MediaGraph's public API — then hand the catalog to the
/// ``Graph`` (and to `voiced`, which builds every call's graph from it). Built-in settings are
/// documented in docs/nodes.md; writing a node of your own in docs/writing-a-node.md.
///
/// ```swift
/// var nodes = NodeCatalog.builtIn
/// try nodes.register("dtmf") { context throws(GraphBuildError) in try DTMFDetectorNode(&context) }
/// let graph = try Graph(spec: GraphSpec(parsing: "dtmf, vad; "), providerFormat: .telephonyMuLaw, nodes: nodes)
/// ```
///
/// - Threading: a value; safe anywhere once made. Factories run on the control thread at graph build.
public struct NodeCatalog: Sendable {
    public typealias Factory = @Sendable (inout NodeContext) throws(GraphBuildError) -> any MediaNode

    private var factories: [String: Factory]

    /// No nodes at all (a catalog for a test that wants only its own).
    public init() { factories = [:] }

    /// voiced's own nodes.
    public static let builtIn: NodeCatalog = {
        var catalog = NodeCatalog()
        catalog.factories = [
            "mulaw-decode": { _ in G711DecodeNode(law: .mulaw) },
            "mulaw-encode": { _ in G711EncodeNode(law: .mulaw) },
            "alaw-decode": { _ in G711DecodeNode(law: .alaw) },
            "alaw-encode": { _ in G711EncodeNode(law: .alaw) },
            "resample": { context throws(GraphBuildError) in try ResampleNode(&context) },
            "apm": { context throws(GraphBuildError) in try AudioProcessingNode(&context) },
            "echo-reference": { EchoReferenceNode(scope: $0.scope) },
            "vad": { context throws(GraphBuildError) in try VoiceActivityNode(&context) },
            "silero-vad": { context throws(GraphBuildError) in try SileroVADNode(&context) },
            "barge-in": { context throws(GraphBuildError) in try BargeInNode(&context) },
            "speech-gate": { context throws(GraphBuildError) in try SpeechGateNode(&context) },
            "playback-monitor": { PlaybackMonitorNode(scope: $0.scope) },
            "level-meter": { _ in LevelMeterNode() },
            "level-meter-out": { _ in LevelMeterNode(name: "level-meter-out") },
            "opus-encode": { context throws(GraphBuildError) in try OpusEncodeNode(&context) },
            "opus-decode": { _ in OpusDecodeNode() },
        ]
        return catalog
    }()

    /// Adds a node specs can name `name` (a ``NodeSpec`` name: letters, digits, dashes and
    /// underscores). Throws
    /// ``GraphBuildError/badSpec(_:)`` for a name already taken or not of that form: a node of
    /// yours never silently replaces another.
    public mutating func register(_ name: String, _ factory: @escaping Factory) throws(GraphBuildError) {
        guard factories[name] == nil else { throw .badSpec("a node named '\(name)' is already in the catalog") }
        let entry = try NodeSpec(parsing: name)
        guard entry.name == name, entry.parameters.isEmpty else { throw .badSpec("'\(name)' is not a node name") }
        factories[name] = factory
    }

    /// This catalog with every node of `other` added (``register(_:_:)``'s rules).
    public func adding(_ other: NodeCatalog) throws(GraphBuildError) -> NodeCatalog {
        var merged = self
        for name in other.names { try merged.register(name, other.factories[name]!) }
        return merged
    }

    /// Known names, sorted.
    public var names: [String] { factories.keys.sorted() }

    /// Whether a spec may name `name`.
    public func contains(_ name: String) -> Bool { factories[name] != nil }

    /// A new instance of the node `entry` names, configured by its settings. Throws
    /// ``GraphBuildError/unknownNode(_:known:)`` or a settings error naming the node and setting.
    public func make(_ entry: NodeSpec, scope: GraphScope, providerRateHz: Int, agentRateHz: Int) throws(GraphBuildError) -> any MediaNode {
        guard let factory = factories[entry.name] else { throw .unknownNode(entry.name, known: names) }
        var context = NodeContext(scope: scope, parameters: entry.parameters, providerRateHz: providerRateHz, agentRateHz: agentRateHz)
        let node = try factory(&context)
        try context.parameters.rejectUnread()
        return node
    }
}
