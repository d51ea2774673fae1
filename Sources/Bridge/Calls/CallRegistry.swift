import NIOConcurrencyHelpers

/// The daemon's live calls, keyed by voiced call id.
///
/// A call is added when its `start` is accepted and removed when every resource it held has been
/// released (the media thread retired it), so an empty registry means nothing leaked.
///
/// - Threading: every member may be called from any thread (a `Mutex` guards the table; it is never
///   taken on a media thread).
/// - Realtime: unsafe (locks); I/O and control threads only.
public final class CallRegistry: Sendable {
    private let calls = NIOLockedValueBox<[UInt64: LiveCall]>([:])
    private let nextID = NIOLockedValueBox<UInt64>(1)

    public init() {}

    /// A fresh call id.
    public func makeCallID() -> UInt64 {
        nextID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
    }

    /// Adds `call`; returns how many calls are registered with it.
    func add(_ call: LiveCall) -> Int {
        calls.withLockedValue {
            $0[call.record.callID] = call
            return $0.count
        }
    }

    /// Removes the call; returns how many are left.
    func remove(_ callID: UInt64) -> Int {
        calls.withLockedValue {
            $0.removeValue(forKey: callID)
            return $0.count
        }
    }

    public var count: Int { calls.withLockedValue { $0.count } }
    /// Every live call, oldest first.
    public var live: [LiveCall] { calls.withLockedValue { Array($0.values) }.sorted { $0.record.callID < $1.record.callID } }
    /// Who every live call is, oldest first.
    public var snapshot: [CallRecord] { live.map(\.record) }
}
