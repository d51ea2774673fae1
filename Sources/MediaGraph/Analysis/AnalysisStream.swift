/// Work a node hands to an analysis thread: the node's media thread fills the stream's request ring
/// and wakes the thread; the thread analyses what is queued and answers through the stream's
/// result ring (see ``SileroStream``).
///
/// - Threading: `analyzePending` runs only on the one ``AnalysisThreads`` worker the stream was
///   added to; `hasPending` from any thread.
protocol AnalysisStream: AnyObject, Sendable {
    /// Analyses every request queued so far. - Realtime: analysis thread only; may allocate.
    func analyzePending()
    /// Whether requests are queued. - Realtime: safe; any thread.
    var hasPending: Bool { get }
}
