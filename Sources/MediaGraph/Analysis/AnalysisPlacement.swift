/// Where a node runs work that must not run on a media thread — a neural network's inference,
/// which allocates on every run: on an ``AnalysisThreads`` worker, its results reaching the node a
/// frame or two later, or inline in `process`, at once.
///
/// Live calls use ``background`` (``CallPipeline`` builds its graph so). Offline runs —
/// `voiced process`, the quality measurements, the tests — use ``inline``: the same results, in
/// the same frames every run, and never behind however fast the audio is fed.
public enum AnalysisPlacement: Sendable, Equatable {
    /// On an analysis thread: `process` stays allocation-free.
    case background
    /// In `process`, on the thread running the graph: only where no media thread is involved.
    case inline
}
