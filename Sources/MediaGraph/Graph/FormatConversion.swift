/// The codec and resampler nodes a ``Graph`` adds at its edges to take audio from one format to
/// another (the provider's, the agent's, the graph's internal PCM): G.711 or Opus decode,
/// resampling, G.711 or Opus encode, in that order, each only when needed.
///
/// - Threading: control thread only (makes nodes).
public enum FormatConversion {
    /// Nodes from `source` to `target`, in order; none when they are equal. Throws
    /// ``GraphBuildError/unsupportedFormat(node:input:expected:)`` for formats no node converts
    /// (more than one channel, other rates).
    public static func nodes(from source: AudioFormat, to target: AudioFormat) throws(GraphBuildError) -> [any MediaNode] {
        guard source != target else { return [] }
        for format in [source, target] {
            guard format.channels == 1, AudioFormat.commonRatesHz.contains(format.sampleRateHz) else {
                throw .unsupportedFormat(node: "format conversion", input: format,
                                         expected: "mono pcm16, mulaw, alaw or opus at \(AudioFormat.commonRatesHz.map(String.init).joined(separator: ", ")) Hz")
            }
        }
        var nodes: [any MediaNode] = []
        switch source.encoding {
        case .pcm16: break
        case .mulaw, .alaw: nodes.append(G711DecodeNode(law: source.encoding))
        case .opus: nodes.append(OpusDecodeNode())
        }
        if source.sampleRateHz != target.sampleRateHz { nodes.append(ResampleNode(outputRateHz: target.sampleRateHz)) }
        switch target.encoding {
        case .pcm16: break
        case .mulaw, .alaw: nodes.append(G711EncodeNode(law: target.encoding))
        case .opus: nodes.append(OpusEncodeNode())
        }
        return nodes
    }

    /// Nodes that name themselves as a spec's own decoder: an uplink that begins with one starts from
    /// the provider's coded audio; any other starts from 16-bit PCM at the provider's rate.
    static let decoderNames: Set<String> = ["mulaw-decode", "alaw-decode", "opus-decode"]

    /// Nodes that take `source` to 16-bit PCM at its own rate (a spec's input).
    static func nodes(toPCMFrom source: AudioFormat) throws(GraphBuildError) -> [any MediaNode] {
        try nodes(from: source, to: AudioFormat(encoding: .pcm16, sampleRateHz: source.sampleRateHz, channels: source.channels))
    }
}
