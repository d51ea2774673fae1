import Atomics
import Dispatch
import Logging
import NIOConcurrencyHelpers

/// Writes ended calls to the ``CallRecordStore`` off the event loops: `record` only appends to a
/// bounded queue (a call's end never waits on a disk); a serial dispatch queue takes whatever has
/// gathered and inserts it in one transaction. A full queue drops the newest record, counted and
/// logged — memory stays bounded if the disk stalls; a failed write is logged, counted and its
/// rows dropped.
///
/// - Threading: `record` from any thread (the event loops); the store is touched only on the
///   writer's queue. `flush` blocks until everything recorded so far is written: call it off the
///   event loops (at shutdown, in tests).
public final class CallRecordWriter: @unchecked Sendable {
    // @unchecked Sendable: `store` is touched only on `queue`; everything else is a lock or atomic.
    /// Records waiting to be written at most.
    public static let capacity = 10_000

    /// Rows written, records dropped (queue full or a failed write), failed writes.
    public let written = ManagedAtomic<UInt64>(0)
    public let dropped = ManagedAtomic<UInt64>(0)
    public let failures = ManagedAtomic<UInt64>(0)

    private let queue = DispatchQueue(label: "voiced.records")
    private let pending = NIOLockedValueBox(Pending())
    private let store: CallRecordStore
    private let logger: Logger

    private struct Pending {
        var calls: [EndedCall] = []
        var drainScheduled = false
    }

    init(store: CallRecordStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Queues `call` for writing.
    func record(_ call: EndedCall) {
        let schedule = pending.withLockedValue { pending -> Bool? in
            guard pending.calls.count < Self.capacity else { return nil }
            pending.calls.append(call)
            defer { pending.drainScheduled = true }
            return !pending.drainScheduled
        }
        guard let schedule else {
            if dropped.loadThenWrappingIncrement(ordering: .relaxed) == 0 {
                logger.error("call records queue full: records dropped (is the disk stalled?)", metadata: ["capacity": "\(Self.capacity)"])
            }
            return
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Waits until every call recorded before this returned is written.
    public func flush() { queue.sync { drain() } }

    /// Writes what waits and lets go of the store (at shutdown: the database connection closes).
    /// Suspends, never blocks, its caller.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.drain()
                self.store.close()
                done.resume()
            }
        }
    }

    /// On the writer's queue: writes what has gathered, in one transaction.
    private func drain() {
        let batch = pending.withLockedValue { pending in
            defer {
                pending.calls.removeAll(keepingCapacity: true)
                pending.drainScheduled = false
            }
            return pending.calls
        }
        guard !batch.isEmpty else { return }
        do {
            try store.insert(batch)
            written.wrappingIncrement(by: UInt64(batch.count), ordering: .relaxed)
        } catch {
            failures.wrappingIncrement(ordering: .relaxed)
            dropped.wrappingIncrement(by: UInt64(batch.count), ordering: .relaxed)
            logger.error("call records not written", metadata: ["error": "\(error)", "records": "\(batch.count)"])
        }
    }
}
