/// Measures the audio passing through (unchanged): per-frame RMS and the count of clipped samples
/// (at ±32767/−32768), for metrics. Cheap: one pass over the frame.
///
/// - Threading: see ``MediaNode``; the readings are written on the media thread and read after the
///   call retired (like the node timings).
/// - Realtime: `process` is safe.
public final class LevelMeterNode: MediaNode {
    public let name: String
    /// Frames measured.
    public private(set) var frames: UInt64 = 0
    /// Samples at full scale.
    public private(set) var clippedSamples: UInt64 = 0
    /// RMS of the most recent frame, and the loudest frame's RMS (full scale = 32767).
    public private(set) var lastRMS = 0.0
    public private(set) var peakRMS = 0.0
    private var rateHz = 8000
    private var energySum = 0.0
    private var sampleCount: UInt64 = 0

    /// - Parameter name: `level-meter` on the uplink, `level-meter-out` on the downlink (the name
    ///   tells the two apart in /stats).
    public init(name: String = "level-meter") { self.name = name }

    /// RMS over everything measured.
    public var averageRMS: Double { sampleCount == 0 ? 0 : (energySum / Double(sampleCount)).squareRoot() }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16 else { throw .unsupportedFormat(node: name, input: input, expected: "pcm16") }
        rateHz = input.sampleRateHz
        return input
    }

    /// An RMS and a peak scan: 3,000 at 8 kHz (`level-meter` graph minus `passthrough`, halved).
    public var instructionsPerFrame: Int { FrameCost.scaled(3_000, rateHz: rateHz) }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        let samples = input.pcm16
        let (energy, rms) = input.energyAndRMS
        var clipped: UInt64 = 0
        for s in samples where s == .max || s == .min { clipped += 1 }
        frames += 1
        clippedSamples += clipped
        energySum += energy
        sampleCount += UInt64(samples.count)
        lastRMS = rms
        peakRMS = max(peakRMS, lastRMS)
    }
}
