/// One step of a call's media graph: a decoder, a resampler, a VAD, a denoiser…
///
/// To add a node, write one file with a final class that conforms, register it in a
/// ``NodeCatalog`` and name it in a ``GraphSpec``: docs/writing-a-node.md walks through it, from
/// an empty file to a live call. What a node may use of its call (events, voice activity,
/// playback, state shared by both directions) comes from the ``GraphScope`` in its ``NodeContext``.
///
/// - Threading: `prepare` is called once on the control thread when the graph is built;
///   `process` is called only on the media thread that owns the call, one frame at a time.
/// - Ownership: a node instance belongs to exactly one graph (one call, one direction) and keeps its
///   per-call state in its own stored properties, allocated in `init` or `prepare`.
/// - Realtime: `process` must be safe — no allocation, locks, logging, `await` or syscalls.
public protocol MediaNode: AnyObject {
    /// The name specs use for this node, e.g. `"mulaw-decode"`.
    var name: String { get }

    /// Checks the input format and returns the format this node will produce.
    /// Throws ``GraphBuildError/unsupportedFormat(node:input:expected:)`` when the input cannot be handled.
    /// Allocate every buffer the node needs here.
    ///
    /// - Realtime: unsafe (allocates); control thread only.
    func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat

    /// Turns `input` into `output`. `output.format` is already the format `prepare` returned and its
    /// storage holds at least one frame of it; set `output.sampleCount` and copy `arrivalNanos` through.
    ///
    /// - Realtime: media-thread only; must not allocate.
    func process(_ input: borrowing AudioFrame, into output: inout AudioFrame)

    /// Forgets the audio seen so far (filter history, a partial analysis), as at the start of a call:
    /// the downlink's nodes hear it when a barge-in flushes the agent's speech, so nothing of the old
    /// speech bleeds into the next. Default: nothing to forget.
    ///
    /// - Realtime: media-thread only; must not allocate.
    func reset()

    /// Hears what the call tells its nodes between frames: a flush of the agent's speech, a
    /// barge-in, a setting changed mid-call (``NodeControl``). Default: ``reset()`` on
    /// ``NodeControl/flush``, nothing otherwise — a simple node writes only `process`.
    ///
    /// - Realtime: media-thread only; must not allocate.
    func control(_ message: NodeControl)

    /// What one frame costs the media thread, in ``FrameCost`` units (callgrind instructions), at the
    /// format and settings `prepare` saw: the server admits a call only where its graph's cost fits.
    /// Default: ``FrameCost/unmeasured``. Measure a new node with scripts/instructions.
    var instructionsPerFrame: Int { get }

    /// True when, as `prepare` set it up, the node would only copy its input (a resampler already at
    /// its rate): the chain leaves it out. Default: false.
    var isIdentity: Bool { get }
}

extension MediaNode {
    public func reset() {}

    public func control(_ message: NodeControl) {
        if message == .flush { reset() }
    }

    public var isIdentity: Bool { false }

    public var instructionsPerFrame: Int { FrameCost.unmeasured }
}
