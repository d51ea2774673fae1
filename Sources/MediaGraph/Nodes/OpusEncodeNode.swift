import CAudio

/// 16-bit PCM mono (8, 16, 24 or 48 kHz) → one Opus packet per 20 ms frame (libopus, VoIP mode).
/// For providers and agents that speak Opus, and for recordings.
///
/// - Threading: see ``MediaNode``.
/// - Ownership: owns its encoder from `prepare` until deinit.
/// - Realtime: `process` is safe (0 mallocs, benchmarked).
public final class OpusEncodeNode: MediaNode {
    public let name = "opus-encode"
    /// Target bitrate: default 24 000 bit/s.
    public let bitrate: Int
    private var encoder: OpaquePointer?

    public init(bitrate: Int = 24_000) { self.bitrate = bitrate }

    /// From a spec: `opus-encode(bitrate=24000)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        self.init(bitrate: try context.parameters.int("bitrate", default: 24_000, in: 6_000...510_000))
    }
    deinit { vd_opus_encoder_destroy(encoder) }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1, AudioFormat.commonRatesHz.contains(input.sampleRateHz) else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000, 16000, 24000 or 48000 Hz")
        }
        var err: Int32 = 0
        vd_opus_encoder_destroy(encoder)
        encoder = vd_opus_encoder_create(Int32(input.sampleRateHz), Int32(bitrate), &err)
        guard encoder != nil else {
            throw .unsupportedFormat(node: name, input: input, expected: "a bitrate of 6000…510000 bit/s (\(String(cString: vd_strerror(err))))")
        }
        return AudioFormat(encoding: .opus, sampleRateHz: input.sampleRateHz)
    }

    /// The encode/decode pair measures 1,030,000 per frame at 8 kHz; encoding is most of it.
    public var instructionsPerFrame: Int { 850_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let samples = input.pcm16
        let packet = output.storage
        let n = vd_opus_encode(encoder!, samples.baseAddress!, samples.count,
                               packet.baseAddress!.assumingMemoryBound(to: UInt8.self), packet.count)
        // A failed encode becomes a lost packet, which the decoder conceals.
        output.packetByteCount = max(0, Int(n))
    }
}
