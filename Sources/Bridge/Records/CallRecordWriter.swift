import Atomics
import Dispatch
import Logging
import NIOConcurrencyHelpers

/// Writes ended calls to the ``CallRecordStore`` off the event loops: `record` only appends to a
/// bounded queue (a call's end never waits on a disk or a database); a serial dispatch queue takes
/// whatever has gathered and inserts it in one transaction. A full queue drops the newest record,
/// counted and logged — memory stays bounded if the store stalls. A batch the store cannot take
/// now (``CallRecordStoreError/unavailable(_:)``: a database restarting, a disk full) is kept and
/// retried after 1, 2, 4 … 30 s, up to ``maxAttempts`` times (about two and a half minutes), then
/// dropped, counted; a batch the store rejects goes in row by row, so one bad row costs only itself.
///
/// - Threading: `record` from any thread (the event loops); the store and the retry state are
///   touched only on the writer's queue. `flush` blocks until everything recorded so far has been
///   tried: call it off the event loops (in tests); `close` suspends instead.
public final class CallRecordWriter: @unchecked Sendable {
    // @unchecked Sendable: `store` is touched only on `queue`; everything else is a lock or atomic.
    /// Records waiting to be written at most: gathering, and again while the store is unavailable.
    public static let capacity = 10_000
    /// Tries of a batch the store cannot take before it is dropped.
    static let maxAttempts = 8

    /// Rows written, records dropped (queue full or a failed write), failed writes.
    public let written = ManagedAtomic<UInt64>(0)
    public let dropped = ManagedAtomic<UInt64>(0)
    public let failures = ManagedAtomic<UInt64>(0)

    private let queue = DispatchQueue(label: "voiced.records")
    private let pending = NIOLockedValueBox(Pending())
    private let store: CallRecordStore
    private let logger: Logger
    /// A batch the store could not take, how often it has failed, and when to try again (the
    /// writer's queue only).
    private var retrying: [EndedCall] = []
    private var attempts = 0
    private var retryAt: DispatchTime?
    private var closed = false

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

    /// Waits until every call recorded before this returned has been tried (written, or kept for
    /// a retry when the store is unavailable).
    public func flush() { queue.sync { drain(now: true) } }

    /// Records kept for a retry (a snapshot, on the writer's queue).
    var retryingCount: Int { queue.sync { retrying.count } }

    /// Writes what waits and lets go of the store (at shutdown: the database connection closes).
    /// Suspends, never blocks, its caller.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.drain(now: true)
                if !self.retrying.isEmpty {
                    self.dropped.wrappingIncrement(by: UInt64(self.retrying.count), ordering: .relaxed)
                    self.logger.error("call records not written at shutdown", metadata: ["records": "\(self.retrying.count)"])
                    self.retrying = []
                }
                self.closed = true
                self.store.close()
                done.resume()
            }
        }
    }

    /// On the writer's queue: writes what has gathered (after a batch kept for a retry), in one
    /// transaction; waits out a retry's back-off unless `now`.
    private func drain(now: Bool = false) {
        let batch = pending.withLockedValue { pending in
            defer {
                pending.calls.removeAll(keepingCapacity: true)
                pending.drainScheduled = false
            }
            return pending.calls
        }
        guard !closed else {
            dropped.wrappingIncrement(by: UInt64(batch.count), ordering: .relaxed)
            return
        }
        // While the store is unavailable records wait here, as many as the queue holds; the
        // newest beyond that are dropped, counted.
        let room = max(0, Self.capacity - retrying.count)
        retrying += batch.prefix(room)
        if batch.count > room {
            if dropped.loadThenWrappingIncrement(by: UInt64(batch.count - room), ordering: .relaxed) == 0 {
                logger.error("call records waiting for the store exceed the queue: records dropped", metadata: ["capacity": "\(Self.capacity)"])
            }
        }
        if !now, let retryAt, DispatchTime.now() < retryAt { return }
        guard !retrying.isEmpty else { return }
        let calls = retrying
        retrying = []
        retryAt = nil
        do {
            try store.insert(calls)
            written.wrappingIncrement(by: UInt64(calls.count), ordering: .relaxed)
            attempts = 0
        } catch CallRecordStoreError.rejected(let reason) where calls.count > 1 {
            logger.warning("call records refused as a batch; writing them one by one", metadata: ["error": "\(reason)"])
            for (index, call) in calls.enumerated() {
                do {
                    try store.insert([call])
                    written.wrappingIncrement(ordering: .relaxed)
                } catch CallRecordStoreError.rejected(let reason) {
                    refused([call], reason)
                } catch {
                    return keep(Array(calls[index...]), error)
                }
            }
        } catch CallRecordStoreError.rejected(let reason) {
            refused(calls, reason)
        } catch {
            keep(calls, error)
        }
    }

    /// Rows the store will never take: dropped, counted, logged.
    private func refused(_ calls: [EndedCall], _ reason: String) {
        failures.wrappingIncrement(ordering: .relaxed)
        dropped.wrappingIncrement(by: UInt64(calls.count), ordering: .relaxed)
        logger.error("call record refused by the store", metadata: ["error": "\(reason)", "call": "\(calls.first?.providerCallID ?? "-")"])
    }

    /// The store is unavailable: `calls` wait for the next try, or are dropped after the last.
    private func keep(_ calls: [EndedCall], _ error: any Error) {
        failures.wrappingIncrement(ordering: .relaxed)
        attempts += 1
        guard attempts < Self.maxAttempts else {
            dropped.wrappingIncrement(by: UInt64(calls.count), ordering: .relaxed)
            logger.error("call records not written; giving up on them", metadata: [
                "error": "\(error)", "records": "\(calls.count)", "attempts": "\(attempts)",
            ])
            attempts = 0
            return
        }
        retrying = calls
        let delay = min(30, 1 << (attempts - 1))
        let at = DispatchTime.now() + .seconds(delay)
        retryAt = at
        logger.warning("call records not written yet; trying again", metadata: [
            "error": "\(error)", "records": "\(calls.count)", "in_seconds": "\(delay)",
        ])
        queue.asyncAfter(deadline: at) { self.drain() }
    }
}
