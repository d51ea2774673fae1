/// Why a ``Graph`` could not be built from a ``GraphSpec``.
public enum GraphBuildError: Error, Equatable, CustomStringConvertible {
    /// A node cannot take the format the previous node (or the provider) produces.
    case unsupportedFormat(node: String, input: AudioFormat, expected: String)
    /// The downlink chain ends in a different format from the one the provider plays.
    case downlinkMismatch(produces: AudioFormat, providerPlays: AudioFormat)
    /// A spec names a node that the ``NodeCatalog`` does not know; `known` lists the ones it does.
    case unknownNode(String, known: [String])
    /// A node needs another before it (on the same call) that the spec does not have: `barge-in`
    /// reads what a `vad` decides. `needs` says what to add, and where.
    case missingDependency(node: String, needs: String)
    /// `--graph` names no preset.
    case unknownPreset(String)
    /// A spec's text is not of the form `node, node(key=value); node`.
    case badSpec(String)
    /// A node's setting has a value it does not accept.
    case badParameter(node: String, parameter: String, value: String, expected: String)
    /// A node was given a setting it does not have.
    case unknownParameter(node: String, parameter: String)
    /// A node needs something this machine lacks (a library, a model file, a thread).
    case unavailable(node: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedFormat(node, input, expected):
            "node '\(node)' cannot take \(input); it expects \(expected)"
        case let .downlinkMismatch(produces, plays):
            "the downlink chain produces \(produces) but the provider plays \(plays)"
        case let .unknownNode(name, known):
            "no node named '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .missingDependency(node, needs):
            "node '\(node)' needs \(needs)"
        case let .unknownPreset(name):
            "no graph preset named '\(name)' (known: \(GraphSpec.presets.keys.sorted().joined(separator: ", ")); or write a spec: 'uplink nodes; downlink nodes')"
        case let .badSpec(reason):
            "bad graph spec: \(reason)"
        case let .badParameter(node, parameter, value, expected):
            "node '\(node)': \(parameter)=\(value) is not accepted; it expects \(expected)"
        case let .unknownParameter(node, parameter):
            "node '\(node)' has no setting '\(parameter)' (see docs/nodes.md)"
        case let .unavailable(node, reason):
            "node '\(node)' cannot run here: \(reason)"
        }
    }
}
