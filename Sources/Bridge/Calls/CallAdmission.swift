import Atomics

/// Whether the server takes another call: at most ``maxCalls`` at once, and none while it drains.
/// A media upgrade past the limit is answered 503 (``acceptsUpgrade(mediaSocketsOpen:)``); a
/// `start` that still finds no place (several upgrades raced for the last one) is refused with close
/// 1013 (``admit()``). Calls in progress are never touched.
///
/// - Threading: any thread (atomics); never a media thread.
public final class CallAdmission: Sendable {
    /// Calls at once (`--max-calls`).
    public let maxCalls: Int
    private let admitted = ManagedAtomic<Int>(0)
    private let drainingFlag = ManagedAtomic<Bool>(false)

    public init(maxCalls: Int) {
        self.maxCalls = maxCalls
    }

    /// Calls admitted and not yet released.
    public var count: Int { admitted.load(ordering: .relaxed) }

    /// True once ``beginDraining()`` was called: nothing new is taken.
    public var isDraining: Bool { drainingFlag.load(ordering: .relaxed) }

    /// Ready for another call: not draining and under ``maxCalls`` (what `/ready` says).
    public var isReady: Bool { !isDraining && count < maxCalls }

    /// Stops taking calls, for good.
    public func beginDraining() { drainingFlag.store(true, ordering: .relaxed) }

    /// Why a media upgrade is turned away now, or nil to let it through: each upgraded socket is a
    /// call to be, so the sockets already open count against ``maxCalls``.
    func refusal(mediaSocketsOpen: Int) -> Refusal? {
        if isDraining { return .draining }
        return mediaSocketsOpen >= maxCalls ? .atMaxCalls : nil
    }

    /// Takes a place for a call; false when draining or full. Each true is paired with one
    /// ``release()``.
    func admit() -> Bool {
        guard !isDraining else { return false }
        var current = admitted.load(ordering: .relaxed)
        while current < maxCalls {
            let (exchanged, original) = admitted.weakCompareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() { admitted.wrappingDecrement(ordering: .relaxed) }

    /// Why a call is turned away.
    enum Refusal: String, CustomStringConvertible {
        case draining
        case atMaxCalls = "max_calls"
        var description: String { rawValue }
    }
}
