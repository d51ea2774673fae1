/// Uplink, after `vad` (and `apm`, so the agent's own echo is already removed): raises a `bargeIn`
/// event when the caller has been speaking for ``minimumSpeechMs`` while the agent was audible on
/// the downlink (a `playback-monitor` node) within the last ``audibleWindowMs``. One event per
/// speech run, stamped at the run's start. Nothing is raised until the agent has been audible for
/// ``warmUpMs`` in total, and no speech run that began before then counts: the echo canceller
/// learns the echo only while the agent speaks (about a second of speech at 8 kHz), and until then
/// leaked echo cannot be told from the caller — however late in the call the agent first speaks.
/// The warm-up starts again when the canceller first finds the echo path delay (it re-learns the
/// echo there), but not on later changes: a call without echo, whose estimate wanders, must not
/// lose its barge-ins.
/// With an energy floor (``floorRMS``), the run must also hold a frame at least
/// that loud, so quiet speech in the background does not interrupt. The audio passes unchanged.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class BargeInNode: MediaNode {
    public let name = "barge-in"
    /// Caller speech needed before interrupting: default 100 ms (on top of the VAD's own 60 ms).
    public let minimumSpeechMs: UInt64
    /// How recently the agent must have been audible: default 300 ms.
    public let audibleWindowMs: UInt64
    /// Audible agent speech the echo canceller needs before barge-ins count: default 1000 ms.
    public let warmUpMs: UInt64
    /// Level (RMS, full scale 32767) a frame of the run must reach; 0 (the default) is no floor.
    public let floorRMS: Double
    private let scope: GraphScope
    private var activity: VoiceActivity?
    private var events: EventLane?
    private var playback: Playback?
    private var raisedForRunAtMs: UInt64?
    /// The speech run whose loudest frame reached the floor.
    private var loudRunAtMs: UInt64?
    /// Uplink media time at which the agent had been audible for `warmUpMs`.
    private var warmedUpAtMs: UInt64?
    /// The call's echo canceller, when it has one and has not found the echo path delay yet; and the
    /// agent's audible total when it found it (the warm-up counts from there).
    private var processor: AudioProcessor?
    private var audibleAtEchoFoundMs: UInt64 = 0

    public init(scope: GraphScope, minimumSpeechMs: UInt64 = 100, audibleWindowMs: UInt64 = 300, warmUpMs: UInt64 = 1000,
                floorRMS: Double = 0) {
        self.scope = scope
        self.minimumSpeechMs = minimumSpeechMs
        self.audibleWindowMs = audibleWindowMs
        self.warmUpMs = warmUpMs
        self.floorRMS = floorRMS
    }

    /// From a spec: `barge-in(min-speech-ms=100, audible-window-ms=300, warm-up-ms=1000, floor-dbfs=-40)`;
    /// no floor unless `floor-dbfs` is given.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        let floorDb = context.parameters.has("floor-dbfs") ? try context.parameters.int("floor-dbfs", default: 0, in: -90...0) : nil
        let floorRMS = floorDb.map { 32767 * Decibels.factor($0) } ?? 0
        self.init(scope: context.scope,
                  minimumSpeechMs: UInt64(try context.parameters.int("min-speech-ms", default: 100, in: 0...2000)),
                  audibleWindowMs: UInt64(try context.parameters.int("audible-window-ms", default: 300, in: 20...5000)),
                  warmUpMs: UInt64(try context.parameters.int("warm-up-ms", default: 1000, in: 0...10000)),
                  floorRMS: floorRMS)
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        activity = try scope.voiceActivity(for: name)
        events = try scope.events()
        playback = scope.playback()
        processor = scope.existing(AudioProcessor.self)
        return input
    }

    /// A few comparisons per frame (measured inside `standard`: about 1,000).
    public var instructionsPerFrame: Int { 1_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        guard let activity, let playback else { return }
        if let processor, processor.echoDelayEstimateMs != nil {
            self.processor = nil
            audibleAtEchoFoundMs = playback.audibleTotalMs
            warmedUpAtMs = nil
        }
        if warmedUpAtMs == nil, playback.audibleTotalMs - audibleAtEchoFoundMs >= warmUpMs { warmedUpAtMs = activity.nowMs }
        guard let warmedUp = warmedUpAtMs, let started = activity.speechStartedMs, started >= warmedUp else { return }
        if floorRMS > 0, loudRunAtMs != started {
            guard input.energyAndRMS.rms >= floorRMS else { return }
            loudRunAtMs = started
        }
        guard raisedForRunAtMs != started, activity.nowMs - started >= minimumSpeechMs,
              playback.wasAudible(withinMs: audibleWindowMs) else { return }
        raisedForRunAtMs = started
        events?.post(.bargeIn(mediaMs: started))
    }
}
