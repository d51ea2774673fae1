import Foundation
import MediaGraph

/// Brings speech to a steady loudness: a caller on a quiet line and one shouting into the handset
/// reach the agent's recogniser at about the same level. The level is the mean level (dB) of frames
/// that hold speech — louder than the gate, than the noise floor the node tracks by 6 dB and than
/// the speech level so far less 10 dB (a relative gate, as loudness meters use, so word tails and
/// breaths do not drag it down) —, smoothed over about a second; the gain moves toward `target − level` at most ``slewDBPerSecond`` and never
/// past ``maximumGainDB``, so pauses (which never update the level) are not pumped up, and samples
/// are limited at full scale. Changing `target-dbfs` mid-call (``NodeSetting``) takes effect at the
/// next frame. PCM16 mono, any rate; the audio's timing is untouched (no look-ahead, no delay).
///
/// - Threading: see ``MediaNode``. - Realtime: `process` is safe.
public final class LoudnessNormalizerNode: MediaNode {
    public let name = "normalize"
    /// The speech level to reach, in dBFS: default −20.
    public private(set) var targetDBFS: Double
    /// The most gain given (and taken), in dB: default 20.
    public let maximumGainDB: Double
    /// Frames quieter than this are never speech, in dBFS: default −50.
    public let gateDBFS: Double
    /// How fast the gain may move, in dB per second: default 6.
    public let slewDBPerSecond: Double

    private var rateHz = 8000

    // Media-thread state.
    private var speechLevelDB: Double?
    private var noiseFloorDB = -90.0
    private var gainDB = 0.0

    public init(targetDBFS: Double = -20, maximumGainDB: Double = 20, gateDBFS: Double = -50, slewDBPerSecond: Double = 6) {
        self.targetDBFS = targetDBFS
        self.maximumGainDB = maximumGainDB
        self.gateDBFS = gateDBFS
        self.slewDBPerSecond = slewDBPerSecond
    }

    /// From a spec: `normalize(target-dbfs=-20, max-gain-db=20, gate-dbfs=-50, slew-db-per-s=6)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        self.init(targetDBFS: Double(try context.parameters.int("target-dbfs", default: -20, in: -60...0)),
                  maximumGainDB: Double(try context.parameters.int("max-gain-db", default: 20, in: 0...40)),
                  gateDBFS: Double(try context.parameters.int("gate-dbfs", default: -50, in: -90...0)),
                  slewDBPerSecond: Double(try context.parameters.int("slew-db-per-s", default: 6, in: 1...60)))
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono")
        }
        rateHz = input.sampleRateHz
        return input
    }

    /// One pass to measure and one to apply the gain: 10,600 at 8 kHz (callgrind: `scripts/instructions`,
    /// its graph less `passthrough`).
    public var instructionsPerFrame: Int { FrameCost.scaled(10_600, rateHz: rateHz) }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.sampleCount = input.sampleCount
        output.arrivalNanos = input.arrivalNanos
        let samples = input.pcm16
        guard !samples.isEmpty else { return }
        let frameSeconds = Double(samples.count) / Double(input.format.sampleRateHz)
        let levelDB = 10 * log10(max(input.energyAndRMS.energy / Double(samples.count), 1e-3) / (32767.0 * 32767.0))
        track(levelDB, frameSeconds: frameSeconds)

        // Move the gain toward its goal within the slew limit, ramping across the frame.
        let goal = speechLevelDB.map { max(-maximumGainDB, min(maximumGainDB, targetDBFS - $0)) } ?? gainDB
        let step = max(-slewDBPerSecond * frameSeconds, min(slewDBPerSecond * frameSeconds, goal - gainDB))
        let from = pow(10, gainDB / 20)
        gainDB += step
        let to = pow(10, gainDB / 20)
        let out = output.pcm16
        let slope = (to - from) / Double(samples.count)
        for i in 0..<samples.count {
            let value = Double(samples[i]) * (from + slope * Double(i + 1))
            out[i] = Int16(max(-32768, min(32767, value.rounded())))
        }
    }

    /// Follows the noise floor (down at once, up 1 dB a second) and the speech level (frames well
    /// above the floor).
    private func track(_ levelDB: Double, frameSeconds: Double) {
        noiseFloorDB = min(levelDB, noiseFloorDB + frameSeconds)
        guard levelDB > gateDBFS, levelDB > noiseFloorDB + 6, levelDB > (speechLevelDB ?? -.infinity) - 10 else { return }
        // About a second of speech to settle: each frame weighs frameSeconds.
        speechLevelDB = speechLevelDB.map { $0 + (levelDB - $0) * min(1, frameSeconds) } ?? levelDB
    }

    public func control(_ message: NodeControl) {
        switch message {
        case let .setting(setting) where setting.key == "target-dbfs": targetDBFS = max(-60, min(0, setting.value))
        case .flush: reset()
        default: break
        }
    }

    public func reset() {
        speechLevelDB = nil
        gainDB = 0
    }
}
