/// Why a call could not get onto a media thread, or a media thread could not start.
public enum MediaThreadError: Error, Equatable, CustomStringConvertible {
    /// Every media thread holds its maximum number of calls.
    case full(maxCalls: Int)
    /// A ring could not be created (the C error text).
    case ring(String)
    /// An eventfd, timerfd or thread could not be created (what failed).
    case system(String)
    /// The pool was stopped.
    case stopped

    public var description: String {
        switch self {
        case let .full(max): "every media thread already holds its \(max) calls"
        case let .ring(why): "ring: \(why)"
        case let .system(what): "system: \(what)"
        case .stopped: "media threads are stopped"
        }
    }
}
