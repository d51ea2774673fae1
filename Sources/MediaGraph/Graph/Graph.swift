/// One call's media graph: the uplink and downlink ``NodeChain``s built from a ``GraphSpec``.
///
/// - Threading: built on the control thread; used only on the media thread that owns the call
///   from then on; read on the control thread again only after the call retired.
/// - Ownership: owned by the call's ``CallPipeline``; owns its nodes and frames.
/// - Realtime: `runUplink`, `runDownlink` and `runEcho` are safe.
public final class Graph {
    public let spec: GraphSpec
    /// State shared by nodes of both directions (kept alive with the graph).
    private let scope = GraphScope()
    /// Provider → agent. Run it only on the call's media thread (or offline, on one thread).
    public let uplink: NodeChain
    /// Agent → provider. Same rule.
    public let downlink: NodeChain

    /// Builds both chains. The uplink starts from `providerFormat`; the downlink starts from what the
    /// uplink delivers to the agent (the echo agent sends it straight back) and must end in
    /// `providerFormat` again. `agentRateHz` (default: the provider's rate) is what `rate=agent`
    /// means to the spec's nodes.
    ///
    /// - Realtime: unsafe (allocates); control thread only.
    public init(spec: GraphSpec, providerFormat: AudioFormat, agentRateHz: Int? = nil) throws(GraphBuildError) {
        self.spec = spec
        let scope = scope
        func make(_ entries: [String]) throws(GraphBuildError) -> [any MediaNode] {
            var nodes: [any MediaNode] = []
            for entry in entries {
                nodes.append(try NodeCatalog.make(entry, scope: scope, providerRateHz: providerFormat.sampleRateHz,
                                                  agentRateHz: agentRateHz ?? providerFormat.sampleRateHz))
            }
            return nodes
        }
        let up = try make(spec.uplink)
        let down = try make(spec.downlink)
        uplink = try NodeChain(nodes: up, input: providerFormat)
        downlink = try NodeChain(nodes: down, input: uplink.outputFormat)
        guard downlink.outputFormat == providerFormat else {
            throw .downlinkMismatch(produces: downlink.outputFormat, providerPlays: providerFormat)
        }
    }

    /// The event lane, when a node of this graph posts events.
    public var events: CallEvents? { scope.existing(CallEvents.self) }

    /// The provider's format (uplink input, downlink output). Any thread.
    public var providerFormat: AudioFormat { uplink.inputFormat }
    /// The agent's format (uplink output, downlink input). Any thread.
    public var agentFormat: AudioFormat { uplink.outputFormat }

    /// Runs one 20 ms provider frame through the uplink. `fill` writes the provider bytes into the
    /// input frame; returns the frame for the agent.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runUplink(arrivalNanos: UInt64, fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        let input = uplink.input
        input.pointee.sampleCount = input.pointee.format.samplesPerFrame
        input.pointee.arrivalNanos = arrivalNanos
        fill(input.pointee.bytes)
        uplink.run()
        return uplink.output
    }

    /// Runs one agent frame through the downlink. `fill` sets the input frame (already in
    /// ``agentFormat``): its count, arrival time and audio; returns the frame for the provider.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runDownlink(fill: (inout AudioFrame) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        fill(&downlink.input.pointee)
        downlink.run()
        return downlink.output
    }

    /// Runs one provider frame through the uplink and, as the echo agent, straight back through the
    /// downlink.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runEcho(arrivalNanos: UInt64, fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        let reply = runUplink(arrivalNanos: arrivalNanos, fill: fill)
        return runDownlink { $0.copyAudio(from: reply.pointee) }
    }

    /// Every level meter in the graph, uplink first. Read their readings only after the call retired.
    public var levelMeters: [LevelMeterNode] {
        (uplink.nodes + downlink.nodes).compactMap { $0 as? LevelMeterNode }
    }

    /// Per-node timings, uplink nodes first, labelled `uplink.NAME` / `downlink.NAME` (a resampler
    /// may run in both directions). Read only after the call retired.
    public var nodeTimings: [(node: String, histogram: LatencyHistogram)] {
        zip(uplink.nodes.map { "uplink.\($0.name)" }, uplink.timings).map { ($0, $1) }
            + zip(downlink.nodes.map { "downlink.\($0.name)" }, downlink.timings).map { ($0, $1) }
    }
}
