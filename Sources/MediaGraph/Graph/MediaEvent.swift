/// Something a node noticed in a call's audio, stamped with the call's media time: milliseconds of
/// audio the graph had processed when it happened (20 ms per frame, gaps included).
public enum MediaEvent: Equatable, Sendable {
    /// The caller started speaking at `mediaMs` (the first voiced frame of the run).
    case speechStarted(mediaMs: UInt64)
    /// The caller stopped speaking at `mediaMs` (the first silent frame of the hangover).
    case speechStopped(mediaMs: UInt64)
    /// The caller started speaking at `mediaMs` while the agent was audible: an interruption.
    case bargeIn(mediaMs: UInt64)
}
