import CAudio

/// G.711 μ-law or A-law → 16-bit PCM, same rate and channels (table lookup, protocols.md §6.2–6.3).
/// Named `mulaw-decode` or `alaw-decode` after its law.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class G711DecodeNode: MediaNode {
    public let name: String
    private let law: AudioFormat.Encoding

    /// `law` is `.mulaw` or `.alaw`.
    public init(law: AudioFormat.Encoding) {
        precondition(law == .mulaw || law == .alaw, "G.711 has two laws")
        self.law = law
        name = "\(law.rawValue)-decode"
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == law else {
            throw .unsupportedFormat(node: name, input: input, expected: "\(law.rawValue) at any rate")
        }
        return AudioFormat(encoding: .pcm16, sampleRateHz: input.sampleRateHz, channels: input.channels)
    }

    /// Half of `passthrough` with a PCM 8 kHz agent (7,939 with the encoder; Benchmarks/Instructions).
    public var instructionsPerFrame: Int { 4_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let bytes = input.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let samples = output.pcm16
        if law == .mulaw {
            vd_ulaw_decode(bytes, samples.baseAddress!, samples.count)
        } else {
            vd_alaw_decode(bytes, samples.baseAddress!, samples.count)
        }
    }
}
