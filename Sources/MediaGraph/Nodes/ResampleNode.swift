import CAudio

/// Converts 16-bit PCM to another sample rate (8, 16, 24 or 48 kHz), streaming, on libsamplerate.
///
/// Each 20 ms frame in gives exactly one 20 ms frame out (no block buffering); the filter's delay
/// is a constant, ``delayFrames`` output samples. At equal rates it is an identity (left out of its
/// chain, a plain copy when run alone). Default quality `medium`: ≥ 60 dB SNR on band-
/// limited speech through 8→16→8 kHz (103 dB measured) for 6 ms per conversion between 8 and
/// 16 kHz (3 ms between 16 and 24 kHz); `fastest` halves the delay (2.6 ms) at about 50 dB on
/// speech; `best` costs 18 ms. Mono only.
///
/// - Threading: see ``MediaNode``.
/// - Ownership: owns its libsamplerate state from `prepare` until deinit.
/// - Realtime: `process` is safe.
public final class ResampleNode: MediaNode {
    public let name: String
    public let outputRateHz: Int
    public let quality: vd_resampler_quality
    private var handle: OpaquePointer?
    private var inputRateHz = 0

    /// - Parameters:
    ///   - outputRateHz: 8000, 16000, 24000 or 48000.
    ///   - quality: libsamplerate's sinc converter (see above for delay and SNR of each).
    public init(outputRateHz: Int, quality: vd_resampler_quality = VD_RESAMPLER_MEDIUM) {
        self.outputRateHz = outputRateHz
        self.quality = quality
        name = "resample-\(outputRateHz / 1000)k"
    }

    /// From a spec: `resample(rate=16000|agent|provider|processing, quality=fastest|medium|best)`;
    /// `rate` is required.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        guard let rate = try context.rate("rate") else {
            throw .badParameter(node: "resample", parameter: "rate", value: "(missing)", expected: "agent, provider, processing or a rate in Hz")
        }
        let quality = try context.parameters.choice("quality", default: VD_RESAMPLER_MEDIUM,
                                                    ["fastest": VD_RESAMPLER_FASTEST, "medium": VD_RESAMPLER_MEDIUM, "best": VD_RESAMPLER_BEST])
        self.init(outputRateHz: rate, quality: quality)
    }

    deinit { vd_resampler_destroy(handle) }

    /// Output samples the converter delays the signal by (valid after `prepare`).
    public var delayFrames: Int { handle.map { Int(vd_resampler_delay_frames($0)) } ?? 0 }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        let rates = AudioFormat.commonRatesHz
        guard input.encoding == .pcm16, input.channels == 1, rates.contains(input.sampleRateHz), rates.contains(outputRateHz) else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000, 16000, 24000 or 48000 Hz")
        }
        vd_resampler_destroy(handle)
        handle = nil
        inputRateHz = input.sampleRateHz
        // Already at the rate (e.g. `rate=agent` when the agent speaks the provider's rate): a copy.
        if input.sampleRateHz == outputRateHz { return input }
        var cfg = vd_resampler_config(in_rate_hz: Int32(input.sampleRateHz), out_rate_hz: Int32(outputRateHz),
                                      quality: quality, max_in_frames: input.samplesPerFrame)
        var err: Int32 = 0
        handle = vd_resampler_create(&cfg, &err)
        guard handle != nil else {
            throw .unsupportedFormat(node: name, input: input, expected: "a rate libsamplerate accepts (\(String(cString: vd_strerror(err))))")
        }
        return AudioFormat(encoding: .pcm16, sampleRateHz: outputRateHz)
    }

    public func reset() {
        if let handle { vd_resampler_reset(handle) }
    }

    public var isIdentity: Bool { handle == nil }

    /// libsamplerate's sinc filter, per conversion, grows with the higher of the two rates: 456,000
    /// (`fastest`), 1,022,000 (`medium`) or 3,080,000 (`best`) per frame between 8 and 16 kHz
    /// (Benchmarks/Instructions; 8↔24 and 8↔48 kHz measure 1.5× and 3× `medium`). A copy at equal rates.
    public var instructionsPerFrame: Int {
        guard handle != nil else { return 1_000 }
        let perConversionAt16kHz = switch quality {
        case VD_RESAMPLER_FASTEST: 456_000
        case VD_RESAMPLER_BEST: 3_080_000
        default: 1_022_000
        }
        return perConversionAt16kHz * max(inputRateHz, outputRateHz) / 16_000
    }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        guard let handle else { return output.copyAudio(from: input) }
        let samples = input.pcm16
        output.arrivalNanos = input.arrivalNanos
        output.sampleCount = output.format.samplesPerFrame
        let out = output.pcm16
        let written = vd_resampler_process(handle, samples.baseAddress!, samples.count, out.baseAddress!, out.count)
        // Cannot fail for 20 ms frames of the prepared rates; a short write would leave silence.
        if written < out.count { out.baseAddress!.advanced(by: max(0, Int(written))).initialize(repeating: 0, count: out.count - max(0, Int(written))) }
    }
}
