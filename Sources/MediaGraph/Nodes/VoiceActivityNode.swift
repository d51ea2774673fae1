/// Turns webrtc's per-10 ms voice decision into speech-started / speech-stopped events on the
/// call's event lane, stamped with media time (a ``SpeechRunTracker``: a run of voiced frames of at
/// least ``Settings/minimumSpeechMs`` starts speech, a run of silent frames of at least
/// ``Settings/hangoverMs`` stops it, each stamped at its run's first frame). The cheapest VAD;
/// `silero-vad` (``SileroVADNode``) holds in noise.
///
/// Uses the call's `apm` processor when the graph has one upstream (its VAD sees the cleaned audio);
/// otherwise runs a private VAD-only processor. The audio passes unchanged. PCM16 mono, 8 or 16 kHz.
///
/// - Threading: see ``MediaNode``.
/// - Ownership: the event lane belongs to the graph's ``GraphScope``.
/// - Realtime: `process` is safe.
public final class VoiceActivityNode: MediaNode {
    public struct Settings: Sendable, Equatable {
        /// Voiced time needed to declare speech: default 60 ms.
        public var minimumSpeechMs = 60
        /// Silent time needed to declare the end of speech: default 300 ms.
        public var hangoverMs = 300
        /// webrtc's likelihood threshold (1 very low … 4 high) for this node's own detector; `nil`
        /// keeps the default (2, low) or, with an `apm` node upstream, that node's `vad` setting.
        public var likelihood: Int32?
        public init(minimumSpeechMs: Int = 60, hangoverMs: Int = 300, likelihood: Int32? = nil) {
            self.minimumSpeechMs = minimumSpeechMs
            self.hangoverMs = hangoverMs
            self.likelihood = likelihood
        }
    }

    public let name = "vad"
    public let settings: Settings
    private let scope: GraphScope
    private var processor: AudioProcessor?
    /// Whether `processor` is ours alone (then this node runs it on a scratch copy).
    private var ownsProcessor = false
    private var scratch: UnsafeMutableBufferPointer<Int16>?
    private var tracker: SpeechRunTracker?

    public init(scope: GraphScope, settings: Settings = .init()) {
        self.scope = scope
        self.settings = settings
    }

    /// From a spec: `vad(min-speech-ms=60, hangover-ms=300, likelihood=low)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        let settings = Settings(
            minimumSpeechMs: try context.parameters.int("min-speech-ms", default: 60, in: 10...2000),
            hangoverMs: try context.parameters.int("hangover-ms", default: 300, in: 10...5000),
            likelihood: try context.parameters.choice("likelihood", default: nil,
                                                     ["very-low": 1, "low": 2, "moderate": 3, "high": 4]))
        self.init(scope: context.scope, settings: settings)
    }

    deinit { scratch?.deallocate() }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1, input.sampleRateHz == 8000 || input.sampleRateHz == 16000 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000 or 16000 Hz")
        }
        if let shared = scope.existing(AudioProcessor.self), shared.sampleRateHz == input.sampleRateHz, shared.settings.voiceDetection > 0 {
            if let likelihood = settings.likelihood, likelihood != shared.settings.voiceDetection {
                throw .badParameter(node: name, parameter: "likelihood", value: "\(likelihood)",
                                    expected: "none here: this node reads the detector of the apm node upstream, so set apm(vad=…)")
            }
            processor = shared
        } else {
            var own = AudioProcessor.Settings.voiceDetectionOnly
            own.voiceDetection = settings.likelihood ?? own.voiceDetection
            processor = try AudioProcessor(sampleRateHz: input.sampleRateHz, settings: own)
            ownsProcessor = true
            scratch = .allocate(capacity: input.samplesPerFrame)
        }
        tracker = SpeechRunTracker(minimumSpeechMs: settings.minimumSpeechMs, hangoverMs: settings.hangoverMs,
                                   events: try scope.events(), activity: scope.voiceActivity())
        return input
    }

    /// Reading the `apm` node's detector costs next to nothing; a detector of its own costs what its
    /// ``AudioProcessor`` does (VAD only: 27,000 at 8 kHz, the `vad` graph minus `passthrough`).
    public var instructionsPerFrame: Int { ownsProcessor ? processor?.instructionsPerFrame ?? FrameCost.unmeasured : 1_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        let samples = input.pcm16
        if ownsProcessor, let scratch {
            scratch.baseAddress!.update(from: samples.baseAddress!, count: samples.count)
            processor!.processNearEnd(scratch)
        }
        tracker!.observe(voiced: processor!.hasVoice, durationMs: input.sampleCount * 1000 / input.format.sampleRateHz)
    }
}
