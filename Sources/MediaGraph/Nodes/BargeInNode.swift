/// Uplink, after `vad` (and `apm`, so the agent's own echo is already removed): raises a `bargeIn`
/// event when the caller has been speaking for ``minimumSpeechMs`` while the agent was audible on
/// the downlink (a `playback-monitor` node) within the last ``audibleWindowMs``. One event per
/// speech run, stamped at the run's start. Nothing is raised in the first ``warmUpMs`` of the call:
/// until the echo canceller has converged (about half a second on speech), leaked echo cannot be
/// told from the caller. The audio passes unchanged.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class BargeInNode: MediaNode {
    public let name = "barge-in"
    /// Caller speech needed before interrupting: default 100 ms (on top of the VAD's own 60 ms).
    public let minimumSpeechMs: UInt64
    /// How recently the agent must have been audible: default 300 ms.
    public let audibleWindowMs: UInt64
    /// Media time before which no barge-in is raised: default 1000 ms.
    public let warmUpMs: UInt64
    private let scope: GraphScope
    private var activity: VoiceActivity?
    private var events: CallEvents?
    private var playback: Playback?
    private var raisedForRunAtMs: UInt64?

    public init(scope: GraphScope, minimumSpeechMs: UInt64 = 100, audibleWindowMs: UInt64 = 300, warmUpMs: UInt64 = 1000) {
        self.scope = scope
        self.minimumSpeechMs = minimumSpeechMs
        self.audibleWindowMs = audibleWindowMs
        self.warmUpMs = warmUpMs
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard let activity = scope.existing(VoiceActivity.self), let events = scope.existing(CallEvents.self) else {
            throw .unsupportedFormat(node: name, input: input, expected: "a 'vad' node before it on the uplink")
        }
        self.activity = activity
        self.events = events
        playback = scope.shared(Playback.self) { Playback() }
        return input
    }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        guard let activity, let started = activity.speechStartedMs else { return }
        guard started >= warmUpMs, raisedForRunAtMs != started, activity.nowMs - started >= minimumSpeechMs,
              playback!.wasAudible(withinMs: audibleWindowMs) else { return }
        raisedForRunAtMs = started
        events!.post(.bargeIn(mediaMs: started))
    }
}
