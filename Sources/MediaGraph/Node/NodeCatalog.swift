/// The nodes a ``GraphSpec`` can name, each with a factory that makes a fresh per-call instance.
/// A factory gets the graph's ``GraphScope`` for nodes that share state across directions.
///
/// - Threading: read-only; safe anywhere. Factories run on the control thread at graph build.
public enum NodeCatalog {
    /// Node name → factory. Add one line here for a new node.
    public static let factories: [String: @Sendable (GraphScope) -> any MediaNode] = [
        "mulaw-decode": { _ in MuLawDecodeNode() },
        "mulaw-encode": { _ in MuLawEncodeNode() },
        "resample-8k": { _ in ResampleNode(outputRateHz: 8000) },
        "resample-16k": { _ in ResampleNode(outputRateHz: 16000) },
        "resample-24k": { _ in ResampleNode(outputRateHz: 24000) },
        "resample-48k": { _ in ResampleNode(outputRateHz: 48000) },
        "apm": { AudioProcessingNode(scope: $0, settings: .standard) },
        "apm-agc": { AudioProcessingNode(scope: $0, settings: .withGainControl) },
        "echo-reference": { EchoReferenceNode(scope: $0) },
        "vad": { VoiceActivityNode(scope: $0) },
        "barge-in": { BargeInNode(scope: $0) },
        "playback-monitor": { PlaybackMonitorNode(scope: $0) },
        "level-meter": { _ in LevelMeterNode() },
        "opus-encode": { _ in OpusEncodeNode() },
        "opus-decode": { _ in OpusDecodeNode() },
        "level-meter-out": { _ in LevelMeterNode(name: "level-meter-out") },
    ]

    /// Known names, sorted.
    public static var names: [String] { factories.keys.sorted() }

    /// A new instance of the node called `name`, or ``GraphBuildError/unknownNode(_:)``.
    public static func make(_ name: String, scope: GraphScope) throws(GraphBuildError) -> any MediaNode {
        guard let factory = factories[name] else { throw .unknownNode(name) }
        return factory(scope)
    }
}
