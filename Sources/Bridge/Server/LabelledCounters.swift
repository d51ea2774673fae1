import NIOConcurrencyHelpers

/// Counters by label (a rejection reason, a limit's kind), for `/stats`: a label appears at its
/// first count.
///
/// - Threading: any thread except media threads (a mutex guards the map).
final class LabelledCounters: Sendable {
    private let counts = NIOLockedValueBox<[String: UInt64]>([:])

    func count(_ label: String) {
        counts.withLockedValue { $0[label, default: 0] += 1 }
    }

    /// Every label counted so far, with its count.
    var snapshot: [String: UInt64] { counts.withLockedValue { $0 } }
}
