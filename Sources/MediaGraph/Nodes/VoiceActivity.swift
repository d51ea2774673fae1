/// What the call's `vad` node currently decides, for nodes downstream of it (barge-in). Lives in
/// the graph's ``GraphScope``.
///
/// - Threading: written and read on the call's media thread only.
/// - Realtime: plain stored properties; safe.
public final class VoiceActivity {
    /// Media time the current speech run started, or nil when the caller is not speaking.
    public internal(set) var speechStartedMs: UInt64?
    /// Media time at the end of the last frame the `vad` node saw.
    public internal(set) var nowMs: UInt64 = 0

    init() {}
}
