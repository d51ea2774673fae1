import NIOConcurrencyHelpers

/// Counters by label (a rejection reason, a limit's kind, a provider and end reason), for `/stats`
/// and `/metrics`: a label appears at its first count.
///
/// - Threading: any thread except media threads (a mutex guards the map).
final class LabelledCounters<Label: Hashable & Sendable>: Sendable {
    private let counts = NIOLockedValueBox<[Label: UInt64]>([:])

    func count(_ label: Label) {
        counts.withLockedValue { $0[label, default: 0] += 1 }
    }

    /// Every label counted so far, with its count.
    var snapshot: [Label: UInt64] { counts.withLockedValue { $0 } }
}
