/// A neural VAD: the Silero network (v5 and later, on ONNX Runtime) decides each 32 ms chunk of the caller's
/// audio, and a ``SpeechRunTracker`` turns its decisions into speech-started / speech-stopped
/// events and the call's ``VoiceActivity`` — what `vad` does, but holding in white, brown and
/// babble noise where webrtc's detector does not (docs/audio-quality.md has the figures).
///
/// A chunk starts speech when its probability reaches ``Settings/threshold`` and keeps it while
/// the probability stays at or above ``Settings/releaseThreshold`` (Silero's own hysteresis). With
/// the level gate (default on), a chunk must also rise ``Settings/gateDb`` above the
/// ``BackgroundLevel`` to start speech, and stay above it to keep speech: the network hears the
/// voices of a café behind the caller as speech too; their level tells them apart.
///
/// Where the network runs (``GraphScope/analysis``): in a live call on an ``AnalysisThreads``
/// worker — `process` only converts samples and passes each chunk through a ring, so it stays
/// allocation-free; the decision comes back a frame later and events keep the chunk's own media
/// time. Offline, inline in `process`. Chunks the worker is half a second behind on are dropped
/// and chunks ONNX Runtime fails on are skipped, the last decision held over them; a `silero-vad`
/// node event (`behind` or `failed`, its value the chunks lost so far) is posted at the first of
/// each run of them.
///
/// Needs ONNX Runtime and the model (scripts/install-deps); without them the graph is refused
/// with ``GraphBuildError/unavailable(node:reason:)``. PCM16 mono, 8 or 16 kHz; the audio passes
/// unchanged.
///
/// - Threading: see ``MediaNode``; the network runs on the analysis thread (live) or in `process`
///   (offline).
/// - Ownership: owns its stream (closed in deinit, off the media thread) or its analyzer.
/// - Realtime: `process` is safe with ``AnalysisPlacement/background``; inline it allocates.
public final class SileroVADNode: MediaNode {
    public struct Settings: Sendable, Equatable {
        /// Probability from which a chunk starts speech: default 0.5.
        public var threshold: Float = 0.5
        /// Probability below which a chunk ends speech: default `threshold` − 0.15.
        public var releaseThreshold: Float = 0.35
        /// Speech needed to declare speech: default 60 ms (two chunks).
        public var minimumSpeechMs = 60
        /// Silence needed to declare the end of speech: default 300 ms (ten chunks).
        public var hangoverMs = 300
        /// Whether the level gate applies: default on.
        public var levelGate = true
        /// How far above the background level a chunk must be to start speech: default 6 dB.
        public var gateDb: Float = 6
        public init() {}
    }

    public let name = "silero-vad"
    public let settings: Settings
    private let scope: GraphScope
    private let threads: AnalysisThreads
    private var tracker: SpeechRunTracker?
    private var events: EventLane?
    /// Live: the analysis thread's side. Offline: the analyzer itself.
    private var stream: SileroStream?
    private var analyzer: SileroAnalyzer?
    private var background: BackgroundLevel?
    /// The chunk being filled: the analyzer's own window offline, a buffer of ours live.
    private var chunk = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    private var ownsChunk = false
    private var chunkMs = 32

    // Media-thread state.
    private var filled = 0
    private var chunkStartMs: UInt64 = 0
    /// Chunks sent to the analysis thread, and answers received back.
    private var submitted = 0
    private var received = 0
    /// Chunks lost, and whether the last one of each kind began a run still going (one event per
    /// run): `behind` ends with a chunk queued again, `failing` with a chunk decided again.
    private var dropped = 0
    private var failed = 0
    private var behind = false
    private var failing = false

    /// `threads`: where a live graph's network runs (tests give one of their own).
    public convenience init(scope: GraphScope, settings: Settings = .init()) {
        self.init(scope: scope, settings: settings, threads: .shared)
    }

    init(scope: GraphScope, settings: Settings, threads: AnalysisThreads) {
        self.scope = scope
        self.settings = settings
        self.threads = threads
    }

    /// From a spec: `silero-vad(threshold=0.5, release=0.35, min-speech-ms=60, hangover-ms=300,
    /// level-gate=on, gate-db=6)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        var settings = Settings()
        let threshold = try context.parameters.number("threshold", default: 0.5, in: 0.05...0.95)
        settings.threshold = Float(threshold)
        settings.releaseThreshold = Float(try context.parameters.number("release", default: max(0.01, threshold - 0.15), in: 0.01...threshold))
        settings.minimumSpeechMs = try context.parameters.int("min-speech-ms", default: 60, in: 10...2000)
        settings.hangoverMs = try context.parameters.int("hangover-ms", default: 300, in: 10...5000)
        settings.levelGate = try context.parameters.flag("level-gate", default: true)
        settings.gateDb = Float(try context.parameters.number("gate-db", default: 6, in: 0...30))
        self.init(scope: context.scope, settings: settings)
    }

    deinit {
        stream?.close()
        if ownsChunk { chunk.deallocate() }
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1, input.sampleRateHz == 8000 || input.sampleRateHz == 16000 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000 or 16000 Hz")
        }
        let model = try SileroModel.shared()
        let samples = SileroModel.chunkSamples(sampleRateHz: input.sampleRateHz)
        chunkMs = samples * 1000 / input.sampleRateHz
        switch scope.analysis {
        case .background:
            stream = try SileroStream(model: model, sampleRateHz: input.sampleRateHz, threads: threads)
            chunk = .allocate(capacity: samples)
            ownsChunk = true
        case .inline:
            let analyzer = SileroAnalyzer(model: model, sampleRateHz: input.sampleRateHz)
            self.analyzer = analyzer
            chunk = analyzer.chunk
        }
        if settings.levelGate { background = BackgroundLevel(count: 2000 / chunkMs, share: 0.3) }
        events = try scope.events()
        tracker = SpeechRunTracker(minimumSpeechMs: settings.minimumSpeechMs, hangoverMs: settings.hangoverMs,
                                   events: events, activity: scope.voiceActivity())
        return input
    }

    /// What the media thread spends: converting 160 samples and, every 32 ms, a ring push, a
    /// wake-up and a decision (callgrind: about 3,700 at 8 kHz, the `silero-vad` line of
    /// Benchmarks/Instructions/thresholds.txt minus passthrough's). The network itself runs on an
    /// analysis thread: about 3.4 ms of a core per call-second at 8 kHz (docs/audio-quality.md).
    public var instructionsPerFrame: Int { FrameCost.scaled(3_700, rateHz: chunk.count * 1000 / chunkMs) }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        if let stream { receive(from: stream) }
        for sample in input.pcm16 {
            chunk[filled] = Float(sample) * (1 / 32768)
            filled += 1
            if filled == chunk.count {
                filled = 0
                chunkCompleted()
            }
        }
    }

    /// Chunks sent to the analysis thread that it has not answered yet (for tests that wait for
    /// it). Media thread (or the test's thread running the graph).
    var unanswered: Int { stream.map { submitted - received - $0.results.count } ?? 0 }

    /// - Realtime: safe live (a ring push); inline, runs the network.
    private func chunkCompleted() {
        let startMs = chunkStartMs
        chunkStartMs += UInt64(chunkMs)
        if let stream {
            if stream.submit(UnsafeBufferPointer(chunk), mediaMs: startMs) {
                submitted += 1
                behind = false
            } else {
                dropped += 1
                if !behind { events?.post(.node(NodeEvent("silero-vad", detail: "behind", value: Double(dropped), mediaMs: startMs))) }
                behind = true
            }
        } else if let analyzer {
            if let analysis = analyzer.analyze() { decide(analysis, chunkAtMs: startMs) } else { failedChunk(atMs: startMs) }
        }
    }

    /// Counts a chunk ONNX Runtime failed on (its decision is held over like a dropped one's).
    ///
    /// - Realtime: safe.
    private func failedChunk(atMs startMs: UInt64) {
        failed += 1
        if !failing { events?.post(.node(NodeEvent("silero-vad", detail: "failed", value: Double(failed), mediaMs: startMs))) }
        failing = true
    }

    /// Decisions the analysis thread has sent back since the last frame.
    ///
    /// - Realtime: safe.
    private func receive(from stream: SileroStream) {
        while let slot = stream.results.peek() {
            let startMs = slot.pointee.time_ns
            let analysis = slot.tag(SileroStream.Slot.self) == .analysis ? SileroAnalyzer.Analysis(packed: slot.pointee.value) : nil
            stream.results.release()
            received += 1
            if let analysis { decide(analysis, chunkAtMs: startMs) } else { failedChunk(atMs: startMs) }
        }
    }

    /// Feeds one chunk's decision to the tracker, holding the last decision over chunks that got
    /// none (dropped, or failed in ONNX Runtime).
    ///
    /// - Realtime: safe.
    private func decide(_ analysis: SileroAnalyzer.Analysis, chunkAtMs startMs: UInt64) {
        failing = false
        while tracker!.mediaMs < startMs { tracker!.observe(voiced: tracker!.speaking, durationMs: chunkMs) }
        let level = background?.add(analysis.levelDb) ?? -.infinity
        // What starts speech; while speech lasts, the release threshold and the background level
        // itself keep it.
        let clearly = analysis.probability >= settings.threshold && analysis.levelDb >= level + settings.gateDb
        let holds = analysis.probability >= settings.releaseThreshold && analysis.levelDb >= level
        // What a `speech-gate` after it opens on (``VoiceActivity/voicedThroughMs``): clearly above
        // the background, and likely speech — a chunk sooner at a word's start than `clearly`.
        let audible = analysis.probability >= settings.releaseThreshold && analysis.levelDb >= level + settings.gateDb
        tracker!.observe(voiced: tracker!.speaking ? holds : clearly, durationMs: chunkMs, clearlyVoiced: audible)
    }
}
