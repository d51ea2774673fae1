import Atomics

/// Histograms of nanosecond durations with fixed Prometheus buckets (10 µs … 1 s and above), that
/// one thread writes and any thread reads while it writes: what `/metrics` shows of a call that is
/// still running (per-node processing time, per-frame latency both ways).
///
/// Each histogram is `bucketBounds.count + 1` counts (the last one past the top bound) and a sum,
/// all in one preallocated block.
///
/// - Threading: ``record(_:nanos:)`` from the one writing thread (the media thread running the
///   call, or one thread at a time offline); ``snapshot(_:)`` from any thread. Each count is a
///   relaxed atomic: a reader sees every count whole, each one never smaller than before, but a
///   snapshot is not one instant (a frame recorded meanwhile may show in its bucket and not yet in
///   the sum).
/// - Ownership: allocates its block at init, frees it in deinit.
/// - Realtime: `record` is safe (two relaxed load/store pairs, no read-modify-write: one writer).
public final class LiveHistograms: @unchecked Sendable {
    // @unchecked Sendable: the block is only touched through atomics.

    /// Upper bounds of the buckets, in nanoseconds (a value equal to a bound counts in its bucket).
    public static let bucketBounds: [UInt64] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000,
    ]
    /// Counts per histogram (the buckets and the one past the top) plus the sum.
    private static let stride = bucketBounds.count + 2

    /// How many histograms the block holds.
    public let count: Int
    private let slots: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    /// ``bucketBounds`` copied into plain memory, so `record` reads no Swift array (no retain).
    private let bounds: UnsafeMutablePointer<UInt64>

    public init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(1, count * Self.stride))
        slots.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: max(1, count * Self.stride))
        bounds = .allocate(capacity: Self.bucketBounds.count)
        bounds.initialize(from: Self.bucketBounds, count: Self.bucketBounds.count)
    }

    deinit {
        slots.deinitialize(count: max(1, count * Self.stride))
        slots.deallocate()
        bounds.deallocate()
    }

    /// Adds one duration to histogram `index`.
    ///
    /// - Realtime: safe; the one writer only.
    @inline(__always)
    public func record(_ index: Int, nanos: UInt64) {
        let base = slots + index * Self.stride
        var bucket = 0
        while bucket < Self.stride - 2, nanos > bounds[bucket] { bucket += 1 }
        Self.add(1, at: base + bucket)
        Self.add(nanos, at: base + Self.stride - 1)
    }

    @inline(__always)
    private static func add(_ value: UInt64, at slot: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>) {
        let atomic = UnsafeAtomic<UInt64>(at: slot)
        atomic.store(atomic.load(ordering: .relaxed) &+ value, ordering: .relaxed)
    }

    /// Histogram `index` as it stands. Any thread.
    public func snapshot(_ index: Int) -> Snapshot {
        let base = slots + index * Self.stride
        var snapshot = Snapshot()
        for bucket in 0..<(Self.stride - 1) {
            snapshot.counts[bucket] = UnsafeAtomic<UInt64>(at: base + bucket).load(ordering: .relaxed)
        }
        snapshot.sumNanos = UnsafeAtomic<UInt64>(at: base + Self.stride - 1).load(ordering: .relaxed)
        return snapshot
    }

    /// One histogram's counts, copied out: per bucket (not cumulative; the last past the top
    /// bound) and the sum of every duration.
    public struct Snapshot: Sendable, Equatable {
        public var counts = [UInt64](repeating: 0, count: LiveHistograms.bucketBounds.count + 1)
        public var sumNanos: UInt64 = 0

        public init() {}

        /// Durations recorded.
        public var total: UInt64 { counts.reduce(0, &+) }

        /// The upper bound (ns) of the bucket holding the `percentile`th duration (0…100): an
        /// estimate no lower than the true value; the top bound for durations past it; 0 when empty.
        public func nanos(atPercentile percentile: Double) -> UInt64 {
            let total = self.total
            guard total > 0 else { return 0 }
            let rank = UInt64((Double(total) * percentile / 100).rounded(.up))
            var seen: UInt64 = 0
            for (i, count) in counts.enumerated() {
                seen += count
                if seen >= max(1, rank) { return LiveHistograms.bucketBounds[min(i, LiveHistograms.bucketBounds.count - 1)] }
            }
            return LiveHistograms.bucketBounds.last!
        }

        /// Mean duration (ns); 0 when empty.
        public var meanNanos: Double { total == 0 ? 0 : Double(sumNanos) / Double(total) }

        /// Adds `other`'s counts to these.
        public mutating func add(_ other: Snapshot) {
            for i in counts.indices { counts[i] &+= other.counts[i] }
            sumNanos &+= other.sumNanos
        }
    }
}
