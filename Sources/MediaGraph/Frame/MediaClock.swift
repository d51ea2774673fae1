import CAudio

/// The clock every latency figure uses: `CLOCK_MONOTONIC`, in nanoseconds.
///
/// - Realtime: safe (vDSO, no syscall).
public enum MediaClock {
    @inline(__always)
    public static func nanos() -> UInt64 { vd_now_ns() }
}
