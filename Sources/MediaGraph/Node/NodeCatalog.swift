/// The nodes a ``GraphSpec`` can name, each with a factory that makes a fresh per-call instance.
///
/// - Threading: read-only; safe anywhere. Factories run on the control thread at graph build.
public enum NodeCatalog {
    /// Node name → factory. Add one line here for a new node.
    public static let factories: [String: @Sendable () -> any MediaNode] = [
        "mulaw-decode": { MuLawDecodeNode() },
        "mulaw-encode": { MuLawEncodeNode() },
    ]

    /// Known names, sorted.
    public static var names: [String] { factories.keys.sorted() }

    /// A new instance of the node called `name`, or ``GraphBuildError/unknownNode(_:)``.
    public static func make(_ name: String) throws(GraphBuildError) -> any MediaNode {
        guard let factory = factories[name] else { throw .unknownNode(name) }
        return factory()
    }
}
