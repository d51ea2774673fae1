import CAudio

/// 16-bit PCM → G.711 μ-law, same rate and channels (protocols.md §6.1).
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class MuLawEncodeNode: MediaNode {
    public let name = "mulaw-encode"
    public init() {}

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 at any rate")
        }
        return AudioFormat(encoding: .mulaw, sampleRateHz: input.sampleRateHz, channels: input.channels)
    }

    /// Half of `passthrough` with a PCM 8 kHz agent (7,939 with the decoder; Benchmarks/Instructions).
    public var instructionsPerFrame: Int { 4_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let samples = input.pcm16
        let bytes = output.bytes
        vd_ulaw_encode(samples.baseAddress!, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), samples.count)
    }
}
