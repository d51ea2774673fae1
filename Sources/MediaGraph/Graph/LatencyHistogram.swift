import Histogram

/// A preallocated histogram of nanosecond durations (1 ns … 10 s, 2 significant digits).
///
/// - Threading: written by one thread at a time (the media thread during a call); read only when
///   the writer has stopped (after the call retired) or on the same thread.
/// - Ownership: a value; its storage is allocated at init and never grows (values past 10 s are
///   clamped to the top bucket).
/// - Realtime: `record` is safe (no allocation: the counts array is uniquely owned and fixed-size).
public struct LatencyHistogram: Sendable {
    static let highestNanos: UInt64 = 10_000_000_000
    private var histogram = Histogram<UInt32>(highestTrackableValue: highestNanos, numberOfSignificantValueDigits: .two)

    public init() {}

    /// Adds one duration in nanoseconds. Clamps values above 10 s.
    ///
    /// - Realtime: safe.
    @inline(__always)
    public mutating func record(_ nanos: UInt64) {
        _ = histogram.record(min(nanos, Self.highestNanos))
    }

    /// Adds every sample of `other`.
    public mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    public var count: UInt64 { histogram.totalCount }
    /// The value at `percentile` (0…100), in nanoseconds; 0 when empty.
    public func nanos(atPercentile percentile: Double) -> UInt64 {
        count == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }
    public var maxNanos: UInt64 { count == 0 ? 0 : histogram.max }
}
