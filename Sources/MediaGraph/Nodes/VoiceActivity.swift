/// What the call's VAD currently decides, for nodes downstream of it (barge-in). Lives in the
/// graph's ``GraphScope``: the VAD node (the built-in `vad`, or one of yours) writes it through
/// ``GraphScope/voiceActivity()``, nodes after it read it through ``GraphScope/voiceActivity(for:)``.
///
/// - Threading: written and read on the call's media thread only.
/// - Realtime: plain stored properties; safe.
public final class VoiceActivity {
    /// Media time the current speech run started, or nil when the caller is not speaking. Only the
    /// VAD writes it (with the `.speechStarted`/`.speechStopped` events it posts).
    public var speechStartedMs: UInt64?
    /// Media time at the end of the last frame the VAD saw. Only the VAD writes it.
    public var nowMs: UInt64 = 0
    /// Media time at the end of the last audio the VAD found voiced, whether or not it was long
    /// enough to start speech; 0 before any. Only the VAD writes it (`speech-gate` reads it).
    public var voicedThroughMs: UInt64 = 0

    init() {}
}
