#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CLOCK_MONOTONIC` in nanoseconds: the one clock the load generator, its Twilio playback and the
/// fake Realtime server stamp events with (and the clock voiced's `MediaClock` reads), so times
/// taken on different threads of one process can be subtracted.
///
/// - Threading: stateless; any thread.
/// - Ownership: nothing is allocated.
/// - Realtime: safe (one vDSO clock read).
public enum MonotonicClock {
    /// Now, in ns since an arbitrary fixed point.
    @inline(__always)
    public static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
