import CAudio

/// G.711 μ-law → 16-bit PCM, same rate and channels (table lookup, protocols.md §6.2).
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class MuLawDecodeNode: MediaNode {
    public let name = "mulaw-decode"
    public init() {}

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .mulaw else {
            throw .unsupportedFormat(node: name, input: input, expected: "mulaw at any rate")
        }
        return AudioFormat(encoding: .pcm16, sampleRateHz: input.sampleRateHz, channels: input.channels)
    }

    /// Half of `passthrough` with a PCM 8 kHz agent (7,939 with the encoder; Benchmarks/Instructions).
    public var instructionsPerFrame: Int { 4_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let bytes = input.bytes
        let samples = output.pcm16
        vd_ulaw_decode(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), samples.baseAddress!, samples.count)
    }
}
