import CAudio
import Logging
import MediaGraph
import NIOCore
import NIOPosix

/// Gives the heap memory that ended calls freed back to the kernel.
///
/// Each call allocates ~640 KB when it starts (webrtc's echo canceller and noise suppressor, the
/// per-node latency histograms, the rings) and frees it when it retires. glibc keeps freed memory
/// in its arenas (one per thread that allocates; here mostly the NIO event loops) and only hands
/// back the top of a heap, which the small long-lived allocations made between calls pin; so
/// without this RSS stays at the high-water mark of concurrent calls after they end.
/// `malloc_trim(0)` madvises every free page of every arena back.
///
/// Every `interval`, if calls ended (or messages were rejected) since the last look, trims once
/// (investigation and figures: docs/architecture.md, "Memory").
///
/// - Threading: decides on one event loop; the trim itself runs on NIO's singleton thread pool, so
///   no loop stalls for it (a loop that allocates while its own arena is being trimmed waits for
///   that arena only; media threads do not allocate, so they never wait).
final class HeapTrimmer {
    private let stats: BridgeStats
    private let logger: Logger
    private var lastActivity: UInt64 = 0
    private var task: RepeatedTask?

    init(stats: BridgeStats, logger: Logger) {
        self.stats = stats
        self.logger = logger
    }

    func start(on loop: EventLoop, every interval: TimeAmount) {
        task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in tick() }
    }

    func stop() { task?.cancel() }

    private func tick() {
        let activity = UInt64(stats.callsEnded.load(ordering: .relaxed)) &+ stats.messagesRejected.load(ordering: .relaxed)
        guard activity != lastActivity else { return }
        lastActivity = activity
        let (logger, stats) = (logger, stats)
        NIOThreadPool.singleton.submit { state in
            guard case .active = state else { return }
            let before = vd_resident_kib()
            let start = MediaClock.nanos()
            _ = vd_malloc_trim()
            let micros = (MediaClock.nanos() - start) / 1000
            let after = vd_resident_kib()
            stats.heapTrims.wrappingIncrement(ordering: .relaxed)
            logger.debug("heap trimmed", metadata: ["rss_kib_before": "\(before)", "rss_kib_after": "\(after)", "trim_us": "\(micros)"])
        }
    }
}
