import CAudio

/// 16-bit PCM → G.711 μ-law or A-law, same rate and channels (protocols.md §6.1, §6.3). Named
/// `mulaw-encode` or `alaw-encode` after its law.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class G711EncodeNode: MediaNode {
    public let name: String
    private let law: AudioFormat.Encoding

    /// `law` is `.mulaw` or `.alaw`.
    public init(law: AudioFormat.Encoding) {
        precondition(law == .mulaw || law == .alaw, "G.711 has two laws")
        self.law = law
        name = "\(law.rawValue)-encode"
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 at any rate")
        }
        return AudioFormat(encoding: law, sampleRateHz: input.sampleRateHz, channels: input.channels)
    }

    /// Half of `passthrough` with a PCM 8 kHz agent (7,939 with the decoder; Benchmarks/Instructions).
    public var instructionsPerFrame: Int { 4_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let samples = input.pcm16
        let bytes = output.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if law == .mulaw {
            vd_ulaw_encode(samples.baseAddress!, bytes, samples.count)
        } else {
            vd_alaw_encode(samples.baseAddress!, bytes, samples.count)
        }
    }
}
