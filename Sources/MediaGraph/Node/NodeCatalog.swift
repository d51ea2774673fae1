/// The nodes a ``GraphSpec`` can name, each with a factory that makes a fresh per-call instance.
///
/// - Threading: read-only; safe anywhere. Factories run on the control thread at graph build.
public enum NodeCatalog {
    /// Node name → factory. Add one line here for a new node.
    public static let factories: [String: @Sendable () -> any MediaNode] = [
        "mulaw-decode": { MuLawDecodeNode() },
        "mulaw-encode": { MuLawEncodeNode() },
        "resample-8k": { ResampleNode(outputRateHz: 8000) },
        "resample-16k": { ResampleNode(outputRateHz: 16000) },
        "resample-24k": { ResampleNode(outputRateHz: 24000) },
        "resample-48k": { ResampleNode(outputRateHz: 48000) },
    ]

    /// Known names, sorted.
    public static var names: [String] { factories.keys.sorted() }

    /// A new instance of the node called `name`, or ``GraphBuildError/unknownNode(_:)``.
    public static func make(_ name: String) throws(GraphBuildError) -> any MediaNode {
        guard let factory = factories[name] else { throw .unknownNode(name) }
        return factory()
    }
}
