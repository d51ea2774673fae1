/// Takes the noise out of the caller's pauses: after a VAD, lowers the audio by
/// ``Settings/floorDb`` whenever the VAD has found nothing voiced for ``Settings/holdMs``, and
/// restores it within the frame the VAD's next voiced decision reaches it (offline, the frame the
/// voice starts in; live, `silero-vad`'s decisions come a frame later) — a downward expander driven by the
/// VAD's decisions instead of the level, so a café's voices and a car's hum drop out between the
/// caller's sentences while the caller's speech passes untouched (no spectral processing on
/// speech: webrtc's noise suppressor at `ns=low` or `off` can then stay gentle on it).
///
/// What it cannot do: take noise out from under speech, and give back the start of a word the VAD
/// has not yet found (the first chunk or two of a sentence pass at the lowered level: with
/// `silero-vad`, 3.9 % of clean speech frames are more than 6 dB down offline, 5.5 % live;
/// docs/audio-quality.md). A VAD that stops deciding (its analysis thread stuck) opens the gate
/// after ``staleMs``: the caller is never muted by a VAD that is not listening.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class SpeechGateNode: MediaNode {
    public struct Settings: Sendable, Equatable {
        /// How far the pauses are lowered: default −15 dB.
        public var floorDb = -15
        /// How long after the last voiced audio the gate stays open: default 100 ms.
        public var holdMs = 100
        /// How long the gain takes to fall to the floor once the hold is over: default 120 ms.
        public var releaseMs = 120
        public init() {}
    }

    public let name = "speech-gate"
    public let settings: Settings
    /// How far the VAD's decisions may fall behind this node's own media time before the gate
    /// opens regardless.
    public static let staleMs: UInt64 = 500
    private let scope: GraphScope
    private var activity: VoiceActivity?
    /// Linear gains: the floor, and the step per sample while releasing.
    private var floorGain: Float = 1
    private var releaseStep: Float = 0
    private var rateHz = 8000
    /// Media-thread state: the gain now (starts at the floor: nothing voiced yet), and the media
    /// time at the end of the last frame this node saw.
    private var gain: Float = 1
    private var mediaMs: UInt64 = 0
    private var frameMs: UInt64 = 20

    public init(scope: GraphScope, settings: Settings = .init()) {
        self.scope = scope
        self.settings = settings
    }

    /// From a spec: `speech-gate(floor-db=-15, hold-ms=100, release-ms=120)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        var settings = Settings()
        settings.floorDb = try context.parameters.int("floor-db", default: -15, in: -60...0)
        settings.holdMs = try context.parameters.int("hold-ms", default: 100, in: 0...2000)
        settings.releaseMs = try context.parameters.int("release-ms", default: 120, in: 1...2000)
        self.init(scope: context.scope, settings: settings)
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16")
        }
        activity = try scope.voiceActivity(for: name)
        floorGain = Float(Decibels.factor(settings.floorDb))
        releaseStep = (1 - floorGain) / Float(max(1, settings.releaseMs * input.sampleRateHz / 1000))
        rateHz = input.sampleRateHz
        frameMs = UInt64(input.samplesPerFrame * 1000 / input.sampleRateHz)
        gain = floorGain
        return input
    }

    /// A multiply per sample (callgrind: about 1,500 at 8 kHz, `speech-gate`'s line of
    /// Benchmarks/Instructions/thresholds.txt minus the `vad` one).
    public var instructionsPerFrame: Int { FrameCost.scaled(1_500, rateHz: rateHz) }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        guard let activity else { return }
        mediaMs += frameMs
        let voiced = activity.voicedThroughMs > 0 && activity.nowMs <= activity.voicedThroughMs + UInt64(settings.holdMs)
        let open = voiced || mediaMs > activity.nowMs + Self.staleMs
        let samples = output.pcm16
        if open, gain == 1 { return }
        // Opening: reach full level within this frame. Closing: fall at the release rate.
        let step = open ? (1 - gain) / Float(max(1, samples.count)) : -releaseStep
        for i in samples.indices {
            gain = min(1, max(floorGain, gain + step))
            samples[i] = Int16((Float(samples[i]) * gain).rounded())
        }
        // Rounding leaves an opening ramp a hair short of 1: open is exactly 1 (audio untouched).
        if open { gain = 1 }
    }
}
