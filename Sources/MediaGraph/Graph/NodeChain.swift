/// The nodes of one direction of a call's graph, with the frames between them preallocated.
///
/// ```
///   frames[0] ─► nodes[0] ─► frames[1] ─► nodes[1] ─► … ─► frames[n]
///   (input)                                                 (output)
/// ```
/// Invariant: `frames.count == nodes.count + 1` and `frames[i + 1].format` is what `nodes[i]` negotiated.
///
/// Besides being half of a call's ``Graph``, a chain runs nodes on their own: benchmarks and offline
/// tools fill `input`, call `run()` and read `output`.
///
/// - Threading: built on the control thread; `run()` and the frames are used only on the media
///   thread that owns the call (or one thread at a time elsewhere); `timings` are read after the
///   call retired, `liveTimings` from any thread while it runs.
/// - Ownership: the chain allocates every frame's storage at init and frees it in deinit.
/// - Realtime: `run()` is safe.
public final class NodeChain {
    public let nodes: [any MediaNode]
    /// Per-node processing time, one histogram per node.
    public private(set) var timings: [LatencyHistogram]
    /// The same times in fixed buckets, readable while the call runs (`/metrics`), one per node.
    public let liveTimings: LiveHistograms
    private let frames: UnsafeMutableBufferPointer<AudioFrame>
    private let storage: UnsafeMutableRawBufferPointer

    /// Negotiates formats from `input` through every node, then through the nodes `ending` returns
    /// for the format the chain has reached (a ``Graph`` converts to what its edge needs there),
    /// leaves out nodes that would only copy (``MediaNode/isIdentity``), and allocates one frame per
    /// edge.
    public init(nodes: [any MediaNode], input: AudioFormat,
                ending: (AudioFormat) throws(GraphBuildError) -> [any MediaNode] = { _ in [] }) throws(GraphBuildError) {
        var formats = [input]
        var kept: [any MediaNode] = []
        func add(_ node: any MediaNode) throws(GraphBuildError) {
            let output = try node.prepare(input: formats.last!)
            guard !(node.isIdentity && output == formats.last!) else { return }
            formats.append(output)
            kept.append(node)
        }
        for node in nodes { try add(node) }
        for node in try ending(formats.last!) { try add(node) }
        let nodes = kept
        // Room for one 20 ms frame of the widest format on the chain, 16-byte aligned.
        let capacity = (formats.map(\.bytesPerFrame).max()! + 15) & ~15
        storage = .allocate(byteCount: capacity * formats.count, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        frames = .allocate(capacity: formats.count)
        for (i, format) in formats.enumerated() {
            let slice = UnsafeMutableRawBufferPointer(rebasing: storage[(i * capacity)..<((i + 1) * capacity)])
            (frames.baseAddress! + i).initialize(to: AudioFrame(format: format, storage: slice))
        }
        self.nodes = nodes
        inputFormat = formats.first!
        outputFormat = formats.last!
        // One histogram made per node: `Array(repeating:)` would share one counts buffer among
        // them all, copied on each one's first `record` — an allocation on the media thread at the
        // first frame of every call (found by NodeTestKit's allocation count).
        self.timings = nodes.map { _ in LatencyHistogram() }
        liveTimings = LiveHistograms(count: nodes.count)
    }

    deinit {
        frames.deinitialize()
        frames.deallocate()
        storage.deallocate()
    }

    /// Fixed at build; safe to read from any thread (unlike the frames, which the media thread writes).
    public let inputFormat: AudioFormat
    public let outputFormat: AudioFormat

    /// The frame the caller fills before `run()`.
    ///
    /// - Realtime: safe.
    public var input: UnsafeMutablePointer<AudioFrame> { frames.baseAddress! }
    /// The frame `run()` leaves its result in.
    ///
    /// - Realtime: safe.
    public var output: UnsafeMutablePointer<AudioFrame> { frames.baseAddress! + nodes.count }

    /// Resets every node's state (see ``MediaNode/reset()``).
    ///
    /// - Realtime: safe (media-thread only).
    public func reset() {
        for node in nodes { node.reset() }
    }

    /// Tells the nodes `message` (``MediaNode/control(_:)``): a setting goes only to the nodes it
    /// names, the rest to every node.
    ///
    /// - Realtime: safe (media-thread only).
    public func control(_ message: NodeControl) {
        for node in nodes {
            if case let .setting(setting) = message, !setting.node.equals(node.name) { continue }
            node.control(message)
        }
    }

    /// Runs every node once over `input`, timing each.
    ///
    /// - Realtime: safe (media-thread only).
    public func run() {
        let f = frames.baseAddress!
        var start = MediaClock.nanos()
        for i in 0..<nodes.count {
            nodes[i].process(f[i], into: &f[i + 1])
            let end = MediaClock.nanos()
            // Safe: the monotonic clock never goes backwards.
            timings[i].record(end &- start)
            liveTimings.record(i, nanos: end &- start)
            start = end
        }
    }
}
