/// What nodes cost their media thread, in one unit: instructions per 20 ms frame as valgrind's
/// callgrind counts them (x86-64; scripts/instructions measures every preset and every node, and
/// checks each graph's declared cost against the count). Callgrind's counts are a stable gauge, not
/// cycles: what matters is that they rank and add up like the real cost. The server sums a graph's
/// nodes (``Graph/instructionsPerFrame``) and admits a call only onto a media thread whose budget
/// (``MediaThread/Configuration/instructionBudget``) has room for it.
///
/// - Threading: constants and pure functions; anywhere.
public enum FrameCost {
    /// What a node that declares no cost is charged (a new node before it is measured): 1 M, about
    /// two `standard` calls.
    public static let unmeasured = 1_000_000

    /// `at8kHz` instructions for a frame at 8 kHz, scaled to a frame at `rateHz` (the work of most
    /// nodes grows with the samples in a frame).
    public static func scaled(_ at8kHz: Int, rateHz: Int) -> Int { at8kHz * rateHz / 8000 }
}
