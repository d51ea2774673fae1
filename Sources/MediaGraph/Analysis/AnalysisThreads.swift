import Atomics
import CAudio
#if canImport(Glibc)
import Glibc
#endif

/// The process's analysis threads: where nodes run what may not run on a media thread (a neural
/// VAD's inference allocates inside ONNX Runtime). One thread per core, started on first use; each
/// stream stays on the thread with the fewest streams when it was opened, so its state is touched
/// by one thread only.
///
/// ```
///  media thread ─► [requests] ─► analysis thread ─► [results] ─► media thread (next frame)
/// ```
/// A media thread wakes a worker with one eventfd write, coalesced by a flag as ``MediaThread``
/// does; an idle worker sleeps in `poll`.
///
/// - Threading: `add` and `remove` from any thread but a media thread (they lock); `wake` from a
///   media thread.
/// - Ownership: the threads live as long as the process; a stream lives until it is closed and
///   its worker has let go of it.
/// - Realtime: `wake` is safe; `add` and `remove` are not.
public final class AnalysisThreads: @unchecked Sendable {
    // @unchecked Sendable: `streams` is guarded by `lock`; the rest is immutable or atomic.

    /// The process's threads, one per core.
    public static let shared = AnalysisThreads(count: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    let workers: [Worker]

    init(count: Int) {
        workers = (0..<count).map { Worker(index: $0) }
    }

    /// Waits until every request queued so far has been answered: for a tool that runs a live
    /// graph faster than real time and must not drop (GraphInstructions).
    ///
    /// - Realtime: unsafe (sleeps, locks); never on a media thread.
    public func waitUntilIdle() {
        while workers.contains(where: { $0.isBusy }) { usleep(100) }
    }

    /// The worker with the fewest streams, for a new stream to ``Worker/add(_:)`` itself to.
    var leastBusy: Worker { workers.min { $0.streamCount < $1.streamCount }! }

    /// One analysis thread and the streams on it.
    final class Worker: @unchecked Sendable {
        // @unchecked Sendable: `streams` and `started` are guarded by `lock`; the eventfd is
        // written by any thread and read by this worker only.
        let index: Int
        private let lock = ProducerLock()
        private var streams: [ObjectIdentifier: AnalysisStream] = [:]
        private var started = false
        private let wakeDescriptor: Int32
        private let wakeRequested = ManagedAtomic<Bool>(false)
        private let count = ManagedAtomic<Int>(0)
        /// True from a wake-up until the worker has gone through every stream.
        private let analyzing = ManagedAtomic<Bool>(false)

        init(index: Int) {
            self.index = index
            wakeDescriptor = vd_eventfd_create()
        }

        var streamCount: Int { count.load(ordering: .relaxed) }

        /// Whether the worker is analysing, or a stream of it has requests queued.
        ///
        /// - Realtime: unsafe (locks); never on a media thread.
        var isBusy: Bool {
            wakeRequested.load(ordering: .acquiring) || analyzing.load(ordering: .acquiring)
                || lock.withLock { streams.values.contains { $0.hasPending } }
        }

        /// Starts analysing `stream` (and the thread, on first use).
        ///
        /// - Realtime: unsafe (locks, may start a thread); control thread.
        func add(_ stream: AnalysisStream) throws(GraphBuildError) {
            guard wakeDescriptor >= 0 else { throw .unavailable(node: "analysis", reason: "no eventfd for the analysis thread") }
            let failure = lock.withLock { () -> GraphBuildError? in
                if !started {
                    do throws(GraphBuildError) { try start() } catch { return error }
                    started = true
                }
                streams[ObjectIdentifier(stream)] = stream
                return nil
            }
            if let failure { throw failure }
            count.wrappingIncrement(ordering: .relaxed)
        }

        /// Stops analysing `stream` (requests still queued are dropped with it).
        ///
        /// - Realtime: unsafe (locks); any thread but a media thread.
        func remove(_ stream: AnalysisStream) {
            let removed = lock.withLock { streams.removeValue(forKey: ObjectIdentifier(stream)) }
            if removed != nil { count.wrappingDecrement(ordering: .relaxed) }
        }

        /// Tells the worker requests are waiting.
        ///
        /// - Realtime: safe (at most one eventfd write per wake-up).
        @inline(__always)
        func wake() {
            if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
                _ = vd_eventfd_signal(wakeDescriptor)
            }
        }

        private func start() throws(GraphBuildError) {
            do {
                pthread_detach(try startThread { self.run() })
            } catch {
                throw .unavailable(node: "analysis", reason: "cannot start an analysis thread (pthread_create: \(error.code))")
            }
        }

        /// The thread's loop: sleep until woken, then analyse every stream's queue. Runs for the
        /// process's life.
        private func run() {
            vd_thread_set_name("voiced-analysis-\(index)")
            while true {
                _ = vd_wait(wakeDescriptor, -1, -1)
                _ = vd_eventfd_drain(wakeDescriptor)
                // Cleared before the rings are read (an exchange: a full barrier, so no ring read
                // moves above it): a request pushed from here on wakes us again.
                analyzing.store(true, ordering: .releasing)
                _ = wakeRequested.exchange(false, ordering: .sequentiallyConsistent)
                let pending = lock.withLock { Array(streams.values) }
                for stream in pending { stream.analyzePending() }
                analyzing.store(false, ordering: .releasing)
            }
        }
    }
}
