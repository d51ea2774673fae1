/// Where a call is in its life. Every call goes forward through these, never back:
///
/// ```
/// connecting ─(start accepted)─► started ─(first caller audio)─► active ─► ending ─► ended
///      └────────────(refused, timed out, closed before start)──────────────────────┘
/// ```
/// `ending`: the end is decided (with its ``CallEndReason``) and the media thread is letting go;
/// `ended`: every resource is released and the call has left the registry.
///
/// - Threading: a value; ``LiveCall`` holds the current one in an atomic.
public enum CallState: UInt8, Sendable, CustomStringConvertible, Comparable {
    case connecting, started, active, ending, ended

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .started: "started"
        case .active: "active"
        case .ending: "ending"
        case .ended: "ended"
        }
    }

    public static func < (a: CallState, b: CallState) -> Bool { a.rawValue < b.rawValue }
}
