/// What a ``NodeCatalog`` factory gets to make one node for one call's graph.
///
/// - Threading: control thread only, while the graph is built.
public struct NodeContext {
    /// State shared by the nodes of both directions of this call (the echo canceller, the event lane).
    public let scope: GraphScope
    /// The settings the spec gave this node; read them with the typed accessors.
    public var parameters: NodeParameters
    /// The provider's sample rate (the uplink's input and the downlink's output).
    public let providerRateHz: Int
    /// The sample rate the agent takes and speaks (the uplink's output and the downlink's input).
    public let agentRateHz: Int

    public init(scope: GraphScope, parameters: NodeParameters, providerRateHz: Int, agentRateHz: Int) {
        self.scope = scope
        self.parameters = parameters
        self.providerRateHz = providerRateHz
        self.agentRateHz = agentRateHz
    }

    /// The rate audio processing runs at for a provider: its own, at most 16 kHz (the widest band
    /// webrtc's processing takes here), so 24 and 48 kHz providers are processed at 16 kHz.
    public static func processingRateHz(providerRateHz: Int) -> Int { min(providerRateHz, 16000) }

    /// A sample rate setting: `agent`, `provider`, `processing` (``processingRateHz(providerRateHz:)``)
    /// or one of ``AudioFormat/commonRatesHz``; `nil` when absent.
    public mutating func rate(_ key: String) throws(GraphBuildError) -> Int? {
        guard let text = parameters.string(key) else { return nil }
        switch text.lowercased() {
        case "agent": return agentRateHz
        case "provider": return providerRateHz
        case "processing": return Self.processingRateHz(providerRateHz: providerRateHz)
        default:
            guard let hz = Int(text), AudioFormat.commonRatesHz.contains(hz) else {
                let rates = AudioFormat.commonRatesHz.map(String.init).joined(separator: ", ")
                throw .badParameter(node: parameters.node, parameter: key, value: text, expected: "agent, provider, processing or one of \(rates)")
            }
            return hz
        }
    }
}
