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
    private let calls = NIOLockedValueBox<[UInt64: CallRecord]>([:])
    private let nextID = NIOLockedValueBox<UInt64>(1)

    public init() {}

    /// A fresh call id.
    public func makeCallID() -> UInt64 {
        nextID.withLockedValue { id in
            defer { id += 1 }
            return id
        }
    }

    public func add(_ record: CallRecord) { calls.withLockedValue { $0[record.callID] = record } }
    public func remove(_ callID: UInt64) { _ = calls.withLockedValue { $0.removeValue(forKey: callID) } }

    public var count: Int { calls.withLockedValue { $0.count } }
    /// Every live call, oldest first.
    public var snapshot: [CallRecord] { calls.withLockedValue { Array($0.values) }.sorted { $0.callID < $1.callID } }
}
