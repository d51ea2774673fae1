/// The nodes a ``GraphSpec`` can name, each with a factory that makes a fresh per-call instance
/// from a ``NodeContext`` (the call's ``GraphScope``, the spec's settings for the node, the
/// provider's and agent's rates). Settings are documented in docs/nodes.md.
///
/// - Threading: read-only; safe anywhere. Factories run on the control thread at graph build.
public enum NodeCatalog {
    public typealias Factory = @Sendable (inout NodeContext) throws(GraphBuildError) -> any MediaNode

    /// Node name → factory. Add one line here for a new node.
    public static let factories: [String: Factory] = [
        "mulaw-decode": { _ in G711DecodeNode(law: .mulaw) },
        "mulaw-encode": { _ in G711EncodeNode(law: .mulaw) },
        "alaw-decode": { _ in G711DecodeNode(law: .alaw) },
        "alaw-encode": { _ in G711EncodeNode(law: .alaw) },
        "resample": { context throws(GraphBuildError) in try ResampleNode(&context) },
        "apm": { context throws(GraphBuildError) in try AudioProcessingNode(&context) },
        "echo-reference": { EchoReferenceNode(scope: $0.scope) },
        "vad": { context throws(GraphBuildError) in try VoiceActivityNode(&context) },
        "barge-in": { context throws(GraphBuildError) in try BargeInNode(&context) },
        "playback-monitor": { PlaybackMonitorNode(scope: $0.scope) },
        "level-meter": { _ in LevelMeterNode() },
        "level-meter-out": { _ in LevelMeterNode(name: "level-meter-out") },
        "opus-encode": { context throws(GraphBuildError) in try OpusEncodeNode(&context) },
        "opus-decode": { _ in OpusDecodeNode() },
    ]

    /// Known names, sorted.
    public static var names: [String] { factories.keys.sorted() }

    /// A new instance of the node `entry` names (``NodeSpec`` form), configured by its settings.
    /// Throws ``GraphBuildError/unknownNode(_:)``, a settings error, or ``GraphBuildError/badSpec(_:)``.
    public static func make(_ entry: String, scope: GraphScope, providerRateHz: Int, agentRateHz: Int) throws(GraphBuildError) -> any MediaNode {
        let spec = try NodeSpec(parsing: entry)
        guard let factory = factories[spec.name] else { throw .unknownNode(spec.name) }
        var context = NodeContext(scope: scope, parameters: spec.parameters, providerRateHz: providerRateHz, agentRateHz: agentRateHz)
        let node = try factory(&context)
        try context.parameters.rejectUnread()
        return node
    }
}
