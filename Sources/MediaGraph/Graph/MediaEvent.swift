/// Something a node noticed in a call's audio, stamped with the call's media time: milliseconds of
/// audio the graph had processed when it happened (20 ms per frame, gaps included). Nodes post them
/// on the call's ``EventLane``.
public enum MediaEvent: Equatable, Sendable {
    /// The caller started speaking at `mediaMs` (the first voiced frame of the run).
    case speechStarted(mediaMs: UInt64)
    /// The caller stopped speaking at `mediaMs` (the first silent frame of the hangover).
    case speechStopped(mediaMs: UInt64)
    /// The caller started speaking at `mediaMs` while the agent was audible: an interruption.
    case bargeIn(mediaMs: UInt64)
    /// An event of a node's own (a DTMF digit, a turn's end…).
    case node(NodeEvent)

    /// The media time the event refers to.
    public var mediaMs: UInt64 {
        switch self {
        case let .speechStarted(ms), let .speechStopped(ms), let .bargeIn(ms): ms
        case let .node(event): event.mediaMs
        }
    }
}
