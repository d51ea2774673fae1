/// Why a ``Graph`` could not be built from a ``GraphSpec``.
public enum GraphBuildError: Error, Equatable, CustomStringConvertible {
    /// A node cannot take the format the previous node (or the provider) produces.
    case unsupportedFormat(node: String, input: AudioFormat, expected: String)
    /// The downlink chain ends in a different format from the one the provider plays.
    case downlinkMismatch(produces: AudioFormat, providerPlays: AudioFormat)
    /// A spec names a node that ``NodeCatalog`` does not know.
    case unknownNode(String)
    /// `--graph` names no preset.
    case unknownPreset(String)

    public var description: String {
        switch self {
        case let .unsupportedFormat(node, input, expected):
            "node '\(node)' cannot take \(input); it expects \(expected)"
        case let .downlinkMismatch(produces, plays):
            "the downlink chain produces \(produces) but the provider plays \(plays)"
        case let .unknownNode(name):
            "no node named '\(name)' (known: \(NodeCatalog.names.joined(separator: ", ")))"
        case let .unknownPreset(name):
            "no graph preset named '\(name)' (known: \(GraphSpec.presets.keys.sorted().joined(separator: ", ")))"
        }
    }
}
