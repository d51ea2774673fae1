/// Why a call could not get onto a media thread, or a media thread could not start.
public enum MediaThreadError: Error, Equatable, CustomStringConvertible {
    /// Every media thread holds its maximum number of calls.
    case full(maxCalls: Int)
    /// No thread has room for a graph of this cost (``FrameCost`` units per frame).
    case overBudget(cost: Int, mostRoom: Int)
    /// A ring could not be created (the C error text).
    case ring(String)
    /// An eventfd, timerfd or thread could not be created (what failed).
    case system(String)
    /// The pool was stopped.
    case stopped

    public var description: String {
        switch self {
        case let .full(max): "every media thread already holds its \(max) calls"
        case let .overBudget(cost, room):
            "no media thread has room for this graph: it costs \(cost) instructions per frame, the most room left is \(room)"
        case let .ring(why): "ring: \(why)"
        case let .system(what): "system: \(what)"
        case .stopped: "media threads are stopped"
        }
    }
}
