import CAudio

/// One call's webrtc audio processing (`vd_apm`): echo cancellation, noise suppression, high-pass,
/// optional gain control, voice activity. Shared through the graph's ``GraphScope`` by the uplink's
/// ``AudioProcessingNode`` (near end) and the downlink's ``EchoReferenceNode`` (far end).
///
/// - Threading: created on the control thread at graph build; `process…` only on the call's media
///   thread.
/// - Ownership: owns the handle; destroyed with the graph.
/// - Realtime: `processNearEnd` and `processFarEnd` are safe (0 mallocs, benchmarked).
public final class AudioProcessor {
    /// What to enable.
    public struct Settings: Sendable, Equatable {
        public var echoCancellation = true
        /// 0 off, 1 low … 4 very high. Default 3 (high).
        public var noiseSuppression: Int32 = 3
        public var gainControl = false
        public var highPass = true
        /// 0 off, 1 very low … 4 high likelihood. Default 2.
        public var voiceDetection: Int32 = 2
        /// The echo path delay (render → capture) the canceller trusts. `nil` (the default): it is
        /// measured from the call's own audio (`vd_echo_delay`, 0–500 ms, found within about a
        /// second of agent speech; 60 ms until then). A fixed value cancels echoes within about
        /// ±40 ms of it.
        public var echoDelayMs: Int32? = nil
        /// How hard the canceller suppresses the echo its filter left: 1 low, 2 moderate, 3 high
        /// (the default). More also takes more of a caller who talks over the agent (docs/graphs.md).
        public var echoSuppression: Int32 = 3

        public init() {}

        /// Spec names of the echo suppression levels, for ``echoSuppression``.
        public static let suppressions: KeyValuePairs<String, Int32> = ["low": 1, "moderate": 2, "high": 3]
        /// Spec names of the VAD likelihood thresholds, for ``voiceDetection``.
        public static let likelihoods: KeyValuePairs<String, Int32> = ["off": 0, "very-low": 1, "low": 2, "moderate": 3, "high": 4]
        /// Only webrtc's VAD: the audio passes unchanged.
        public static let voiceDetectionOnly: Settings = {
            var s = Settings()
            s.echoCancellation = false
            s.noiseSuppression = 0
            s.highPass = false
            return s
        }()
    }

    public let sampleRateHz: Int
    public let settings: Settings
    private let handle: OpaquePointer
    /// Whether the last near-end 10 ms held speech (webrtc's VAD). Media thread only.
    public private(set) var hasVoice = false

    /// What near end plus far end cost per 20 ms frame, in ``FrameCost`` units, from
    /// Benchmarks/Instructions at 8 kHz (framing and VAD 27,000; high-pass 15,000; noise suppression
    /// 125,000; gain control 46,000; echo cancellation with its far end 589,000 — webrtc's AEC
    /// 313,000, speex's linear canceller and the double-talk detector the rest — and 7,000 more to
    /// measure the delay), twice that at 16 kHz (measured 1.94–1.97×).
    public var instructionsPerFrame: Int {
        var at8kHz = 27_000
        if settings.highPass { at8kHz += 15_000 }
        if settings.noiseSuppression > 0 { at8kHz += 125_000 }
        if settings.gainControl { at8kHz += 46_000 }
        if settings.echoCancellation { at8kHz += settings.echoDelayMs == nil ? 596_000 : 589_000 }
        return FrameCost.scaled(at8kHz, rateHz: sampleRateHz)
    }

    public init(sampleRateHz: Int, settings: Settings) throws(GraphBuildError) {
        var cfg = vd_apm_config(sample_rate_hz: Int32(sampleRateHz), echo_cancellation: settings.echoCancellation ? 1 : 0,
                                estimate_delay: settings.echoDelayMs == nil ? 1 : 0, echo_suppression: settings.echoSuppression,
                                noise_suppression: settings.noiseSuppression, gain_control: settings.gainControl ? 1 : 0,
                                high_pass: settings.highPass ? 1 : 0, voice_detection: settings.voiceDetection)
        var err: Int32 = 0
        guard let handle = vd_apm_create(&cfg, &err) else {
            throw .unsupportedFormat(node: "apm", input: .init(encoding: .pcm16, sampleRateHz: sampleRateHz),
                                     expected: "pcm16 mono at 8000 or 16000 Hz (\(String(cString: vd_strerror(err))))")
        }
        self.handle = handle
        self.sampleRateHz = sampleRateHz
        self.settings = settings
    }

    deinit { vd_apm_destroy(handle) }

    /// The echo path delay the canceller works with now, in ms (the estimate once there is one).
    ///
    /// - Realtime: safe (media-thread only).
    public var echoDelayInUseMs: Int { Int(vd_apm_echo_delay_ms(handle)) }

    /// 10 ms chunks in which the caller talked over the agent's echo so far (the linear canceller's
    /// output went on instead of webrtc's suppressed one).
    ///
    /// - Realtime: safe (media-thread only, or after the call retired).
    public var doubleTalkChunks: Int { Int(vd_apm_double_talk_chunks(handle)) }

    /// The echo path delay the canceller has measured, in ms (with `aec-delay=auto`), or `nil` while
    /// it has heard no echo it could time.
    ///
    /// - Realtime: safe (media-thread only, or after the call retired).
    public var echoDelayEstimateMs: Int? {
        let ms = Int(vd_apm_echo_delay_estimate_ms(handle))
        return ms >= 0 ? ms : nil
    }

    /// How strongly the agent's and the caller's energy envelopes correlate at that delay now
    /// (0 … 1): a real echo correlates well above the 0.3 the estimate needs.
    ///
    /// - Realtime: safe (media-thread only, or after the call retired).
    public var echoDelayConfidence: Double { Double(vd_apm_echo_delay_confidence(handle)) }

    /// The delay the canceller starts from while it has no estimate of its own.
    static let initialEchoDelayMs: Int32 = 60

    /// Cleans the caller's audio in place, after the far end that played with it.
    ///
    /// - Realtime: safe (media-thread only).
    func processNearEnd(_ samples: UnsafeMutableBufferPointer<Int16>) {
        var voice: Int32 = 0
        _ = vd_apm_process(handle, samples.baseAddress!, samples.count, settings.echoDelayMs ?? Self.initialEchoDelayMs, &voice)
        hasVoice = voice != 0
    }

    /// Queues what the caller is about to hear, as the echo reference: it is consumed 10 ms per
    /// 10 ms of near end, as the phone plays it.
    ///
    /// - Realtime: safe (media-thread only).
    func processFarEnd(_ samples: UnsafeBufferPointer<Int16>) {
        _ = vd_apm_process_reverse(handle, samples.baseAddress!, samples.count)
    }
}
