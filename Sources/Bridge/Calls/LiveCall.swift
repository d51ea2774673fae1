import Atomics
import MediaGraph

/// One call in the registry as the control plane sees it while it runs: who it is (``record``),
/// where it is in its life (``state``), and its live counters, read without stopping it.
///
/// - Threading: `state` and `lastMediaNanos` are written on the call's event loop and read from
///   any thread (relaxed atomics: they order nothing); the pipeline's counters are atomics the media
///   thread writes.
/// - Ownership: made by the ``CallSession``, held by the registry from `start` until the call
///   retired.
public final class LiveCall: Sendable {
    public let record: CallRecord
    /// The agent profile and graph the call runs.
    public let agent: String
    public let graph: String
    let pipeline: CallPipeline
    private let stateValue = ManagedAtomic<UInt8>(CallState.started.rawValue)
    private let lastMedia: ManagedAtomic<UInt64>

    init(record: CallRecord, agent: String, graph: String, pipeline: CallPipeline) {
        self.record = record
        self.agent = agent
        self.graph = graph
        self.pipeline = pipeline
        lastMedia = ManagedAtomic(record.startedNanos)
    }

    public var state: CallState { CallState(rawValue: stateValue.load(ordering: .relaxed)) ?? .ended }

    /// Moves the call forward to `next` (never back).
    func advance(to next: CallState) {
        if next > state { stateValue.store(next.rawValue, ordering: .relaxed) }
    }

    /// When the provider last sent caller audio (monotonic ns; the start when none yet).
    var lastMediaNanos: UInt64 { lastMedia.load(ordering: .relaxed) }

    func heardMedia(atNanos nanos: UInt64) { lastMedia.store(nanos, ordering: .relaxed) }

    /// Caller frames the graph processed, agent frames sent toward the provider, and caller frames
    /// lost to a full ring.
    public var framesIn: UInt64 { pipeline.uplinkFrames }
    public var framesOut: UInt64 { pipeline.downlinkFrames }
    public var framesDropped: UInt64 { pipeline.providerInDrops }

    /// In-server latency of the call's frames so far, each way (fixed buckets: percentiles are the
    /// bucket's upper bound).
    public var uplinkLatency: LiveHistograms.Snapshot { pipeline.liveLatency.snapshot(CallPipeline.LiveLatency.uplink) }
    public var downlinkLatency: LiveHistograms.Snapshot { pipeline.liveLatency.snapshot(CallPipeline.LiveLatency.downlink) }
}
