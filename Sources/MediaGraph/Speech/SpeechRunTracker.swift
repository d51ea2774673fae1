/// Turns a VAD's voiced / unvoiced decisions, each covering some milliseconds of audio, into
/// speech-started and speech-stopped events on the call's event lane and the call's
/// ``VoiceActivity``: a run of voiced decisions of at least ``minimumSpeechMs`` starts speech
/// (stamped at the run's first decision), a run of unvoiced ones of at least ``hangoverMs`` stops
/// it (stamped likewise). A VAD node of your own feeds it what it decides and gets the events that
/// `barge-in` and the agents expect.
///
/// - Threading: the media thread of the call whose VAD owns it.
/// - Realtime: `observe` is safe.
public struct SpeechRunTracker {
    /// Voiced time needed to declare speech.
    public let minimumSpeechMs: Int
    /// Unvoiced time needed to declare the end of speech.
    public let hangoverMs: Int
    /// Whether the caller is speaking, as decided so far.
    public private(set) var speaking = false
    /// Media time at the end of the audio decided so far (ms).
    public private(set) var mediaMs: UInt64 = 0
    private var runStartMs: UInt64 = 0
    private var runLengthMs = 0
    private let events: EventLane?
    private let activity: VoiceActivity?

    /// Posts to `events` and keeps `activity` (both from the graph's ``GraphScope`` in `prepare`).
    public init(minimumSpeechMs: Int, hangoverMs: Int, events: EventLane?, activity: VoiceActivity?) {
        self.minimumSpeechMs = minimumSpeechMs
        self.hangoverMs = hangoverMs
        self.events = events
        self.activity = activity
    }

    /// Advances by `durationMs` of audio the VAD found `voiced` (or not). `clearlyVoiced` (default:
    /// `voiced`) is what moves ``VoiceActivity/voicedThroughMs``: a VAD whose `voiced` is lenient
    /// while speech lasts (hysteresis) passes its strict decision here.
    ///
    /// - Realtime: safe.
    public mutating func observe(voiced: Bool, durationMs: Int, clearlyVoiced: Bool? = nil) {
        if voiced != speaking {
            if runLengthMs == 0 { runStartMs = mediaMs }
            runLengthMs += durationMs
            if speaking, runLengthMs >= hangoverMs {
                speaking = false
                runLengthMs = 0
                events?.post(.speechStopped(mediaMs: runStartMs))
                activity?.speechStartedMs = nil
            } else if !speaking, runLengthMs >= minimumSpeechMs {
                speaking = true
                runLengthMs = 0
                events?.post(.speechStarted(mediaMs: runStartMs))
                activity?.speechStartedMs = runStartMs
            }
        } else {
            runLengthMs = 0
        }
        mediaMs += UInt64(durationMs)
        activity?.nowMs = mediaMs
        if clearlyVoiced ?? voiced { activity?.voicedThroughMs = mediaMs }
    }
}
