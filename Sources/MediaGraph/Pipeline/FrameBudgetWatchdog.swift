/// Decides when a call's graph costs its media thread too much: the time the thread spends on the
/// call is charged per service (frames processed, nanoseconds taken); as soon as ``tripFrames`` of
/// a window of ``windowFrames`` frames ran over ``budgetNanos`` each, the watchdog trips and stays
/// tripped. One slow frame (a page fault, the thread preempted) never trips it; a graph that is
/// too heavy for real time does within its first 25 frames.
///
/// - Threading: media-thread only (a value inside ``CallPipeline``).
/// - Realtime: safe (arithmetic only).
struct FrameBudgetWatchdog {
    /// Most time one 20 ms frame may take (both directions of the call).
    let budgetNanos: UInt64
    /// Frames per judgement: 50 (one second of audio).
    let windowFrames = 50
    /// Frames over budget in a window that trip the watchdog: 25 (half of them).
    let tripFrames = 25
    private var framesInWindow = 0
    private var framesOver = 0
    private(set) var tripped = false

    init(budgetNanos: UInt64) { self.budgetNanos = budgetNanos }

    /// Charges `nanos` spent on `frames` frames; returns true when this charge trips the watchdog.
    mutating func charge(nanos: UInt64, frames: Int) -> Bool {
        guard frames > 0, !tripped else { return false }
        framesInWindow += frames
        if nanos > budgetNanos &* UInt64(frames) { framesOver += frames }
        if framesOver >= tripFrames {
            tripped = true
        } else if framesInWindow >= windowFrames {
            framesInWindow = 0
            framesOver = 0
        }
        return tripped
    }
}
