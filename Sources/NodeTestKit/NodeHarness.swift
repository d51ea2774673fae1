import CAllocationCounter
import CAudio
import MediaGraph

/// Runs a node — or a short chain written as a spec — exactly as a call's graph runs it, for the
/// node's own tests: 20 ms frames one at a time, events drained after each frame as the call's I/O
/// side does, allocations counted around every frame, each node timed. docs/writing-a-node.md shows
/// it in use.
///
/// Allocations: Swift's runtime makes some type metadata the first time a process uses it (in
/// debug builds above all), once per process, not per call. So before its first counted run the
/// harness runs the same audio through a twin graph built from the same spec, uncounted; what the
/// counted run then finds is the node's own doing — a buffer made on the first frame of every call
/// included.
///
/// ```swift
/// var nodes = NodeCatalog.builtIn
/// try nodes.register("dtmf") { context throws(GraphBuildError) in try DTMFDetectorNode(&context) }
/// let harness = try NodeHarness("dtmf", nodes: nodes)
/// let run = try harness.process(TestSignal.sox(["synth", "0.1", "sine", "697", "sine", "1209"]))
/// #expect(run.allocations == 0)
/// ```
///
/// - Threading: one thread at a time (it plays the media thread and the I/O side both).
public final class NodeHarness {
    /// Where the nodes run: on the uplink (caller → agent) or the downlink (agent → caller).
    public enum Direction: Sendable { case uplink, downlink }

    /// The graph the harness built: `entries` on one direction, nothing on the other.
    public let graph: Graph
    public let direction: Direction
    /// Makes a twin of `graph` (the warm-up run).
    private let makeGraph: () throws(GraphBuildError) -> Graph
    private var warmedUp = false

    /// What a run over some audio gave.
    public struct Run {
        /// The output as 16-bit samples (decoded when the chain ends in μ-law or A-law).
        public var samples: [Int16] = []
        /// Every event the nodes posted, in order.
        public var events: [MediaEvent] = []
        /// Frames run.
        public var frames = 0
        /// Heap allocations on this thread while the nodes ran (nil when this build cannot count:
        /// under AddressSanitizer or ThreadSanitizer).
        public var allocations: Int?

        /// The ``NodeEvent``s named `name`.
        public func nodeEvents(_ name: String) -> [NodeEvent] {
            events.compactMap { if case let .node(event) = $0, event.name.description == name { event } else { nil } }
        }
    }

    /// Builds `entries` (spec entries, comma-separated: `"dtmf"`, `"vad, barge-in"`) on `direction`
    /// from `nodes`, taking 20 ms frames of `input` (16-bit PCM at 8 kHz by default; μ-law and
    /// A-law are decoded first, as on a call). `analysis`: where nodes run their off-media-thread
    /// work (``AnalysisPlacement``): inline by default, as offline; `.background` as on a call.
    /// Throws ``GraphBuildError`` as a call's start would.
    public init(_ entries: String, input: AudioFormat = .pcm8k, direction: Direction = .uplink,
                nodes: NodeCatalog = .builtIn, analysis: AnalysisPlacement = .inline) throws(GraphBuildError) {
        self.direction = direction
        switch direction {
        case .uplink:
            let spec = try GraphSpec(name: "test", parsing: entries + ";")
            makeGraph = { () throws(GraphBuildError) in try Graph(spec: spec, providerFormat: input, nodes: nodes, analysis: analysis) }
        case .downlink:
            let spec = try GraphSpec(name: "test", parsing: ";" + entries)
            let pcm = AudioFormat(encoding: .pcm16, sampleRateHz: input.sampleRateHz)
            makeGraph = { () throws(GraphBuildError) in
                try Graph(spec: spec, providerFormat: pcm, agent: AgentAudio(hears: pcm, speaks: input), nodes: nodes, analysis: analysis)
            }
        }
        graph = try makeGraph()
    }

    /// The format the nodes take and the one they produce.
    public var inputFormat: AudioFormat { chain.inputFormat }
    public var outputFormat: AudioFormat { chain.outputFormat }

    private var chain: NodeChain { direction == .uplink ? graph.uplink : graph.downlink }

    /// Runs `samples` (16-bit PCM at the input's rate; the last frame padded with silence) through
    /// the nodes. For a μ-law or A-law input, use ``process(bytes:)``.
    public func process(_ samples: [Int16]) -> Run {
        precondition(inputFormat.encoding == .pcm16, "process(bytes:) for \(inputFormat)")
        return samples.withUnsafeBytes { process(bytes: $0) }
    }

    /// Runs a WAV file through the nodes: one in ``inputFormat`` (μ-law, A-law or 16-bit PCM, mono,
    /// at the input's rate). Throws when the file is not in that format (convert it with
    /// ``TestSignal/sox(inputs:_:rateHz:)`` first).
    public func process(wav path: String) throws -> Run {
        let file = try WAVFile(path: path)
        let tag = switch inputFormat.encoding { case .mulaw: 7; case .alaw: 6; default: 1 }
        guard file.formatTag == tag, file.channels == 1, file.sampleRateHz == inputFormat.sampleRateHz,
              tag != 1 || file.bitsPerSample == 16 else {
            throw TestSignal.SoxError(description: "\(path): not \(inputFormat) (WAV format \(file.formatTag), \(file.channels) channels, \(file.sampleRateHz) Hz)")
        }
        return file.data.withUnsafeBytes { process(bytes: $0) }
    }

    /// Runs `bytes` (in ``inputFormat``; the last frame padded with silence) through the nodes.
    public func process(bytes: UnsafeRawBufferPointer) -> Run {
        if !warmedUp, let twin = try? makeGraph() {
            warmedUp = true
            _ = Self.run(bytes, through: twin, direction: direction, counted: false)
        }
        return Self.run(bytes, through: graph, direction: direction, counted: true)
    }

    private static func run(_ bytes: UnsafeRawBufferPointer, through graph: Graph, direction: Direction, counted: Bool) -> Run {
        let chain = direction == .uplink ? graph.uplink : graph.downlink
        let inputFormat = chain.inputFormat, outputFormat = chain.outputFormat
        let frameBytes = inputFormat.bytesPerFrame
        var run = Run()
        var allocations = 0
        let counted = counted && vd_alloc_count_available()
        var output = [UInt8](repeating: 0, count: outputFormat.bytesPerFrame)
        var offset = 0
        while offset < bytes.count {
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + frameBytes, bytes.count)])
            let silence = inputFormat.silenceByte
            let fill = { (frame: UnsafeMutableRawBufferPointer) in
                frame.copyMemory(from: chunk)
                if chunk.count < frame.count {
                    UnsafeMutableRawBufferPointer(rebasing: frame[chunk.count...]).initializeMemory(as: UInt8.self, repeating: silence)
                }
            }
            if counted { vd_alloc_count_begin() }
            let out = direction == .uplink ? graph.runUplink(arrivalNanos: 0, fill: fill) : graph.runDownlink(arrivalNanos: 0, fill: fill)
            if counted { allocations += Int(vd_alloc_count_end()) }
            let produced = out.pointee.bytes
            output.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(produced)) }
            run.samples += pcm(output[..<produced.count], format: outputFormat)
            graph.events.drain { run.events.append($0) }
            run.frames += 1
            offset += frameBytes
        }
        run.allocations = counted ? allocations : nil
        return run
    }

    /// Tells the nodes `message` between frames, as the call's control lane would.
    public func control(_ message: NodeControl) { chain.control(message) }

    /// Each node's time per frame so far: p50 and p99 in ns (wall clock on this machine; for a
    /// repeatable cost use scripts/instructions).
    public var nodeTimings: [(node: String, p50Nanos: UInt64, p99Nanos: UInt64)] {
        zip(chain.nodes, chain.timings).map { ($0.name, $1.nanos(atPercentile: 50), $1.nanos(atPercentile: 99)) }
    }

    /// Whether `entry` (one node with its settings) can take `input`, and what it makes of it: the
    /// format negotiation a graph would do, for the node alone.
    public static func negotiate(_ entry: NodeSpec, input: AudioFormat, nodes: NodeCatalog = .builtIn) -> Result<AudioFormat, GraphBuildError> {
        Result { () throws(GraphBuildError) in
            let node = try nodes.make(entry, scope: GraphScope(), providerRateHz: input.sampleRateHz, agentRateHz: input.sampleRateHz)
            return try node.prepare(input: input)
        }
    }

    private static func pcm(_ bytes: ArraySlice<UInt8>, format: AudioFormat) -> [Int16] {
        switch format.encoding {
        case .pcm16: bytes.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        case .mulaw: bytes.map { vd_ulaw_decode_sample($0) }
        case .alaw: bytes.map { vd_alaw_decode_sample($0) }
        case .opus: []
        }
    }
}
