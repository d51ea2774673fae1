/// One call's media graph: the uplink and downlink ``NodeChain``s built from a ``GraphSpec``, with
/// format conversion at the edges.
///
/// ```
///  provider ─► [decode G.711] ─► spec uplink ─► [convert to what the agent hears] ─► agent
///  agent ─► [decode G.711] ─► spec downlink ─► [convert to what the provider plays] ─► provider
/// ```
/// A spec's uplink starts from 16-bit PCM at the provider's rate — or from the provider's own
/// format when it begins with a decoder (`mulaw-decode`, `alaw-decode`, `opus-decode`); its
/// downlink starts from 16-bit PCM at the rate the agent speaks. So one spec serves μ-law, A-law
/// and PCM providers alike, and `passthrough` (both chains empty) between a μ-law provider and a
/// μ-law agent runs no node at all.
///
/// - Threading: built on the control thread; used only on the media thread that owns the call
///   from then on; read on the control thread again only after the call retired.
/// - Ownership: owned by the call's ``CallPipeline``; owns its nodes and frames.
/// - Realtime: `runUplink`, `runDownlink` and `runEcho` are safe.
public final class Graph {
    public let spec: GraphSpec
    /// State shared by nodes of both directions (kept alive with the graph).
    private let scope: GraphScope
    /// Provider → agent. Run it only on the call's media thread (or offline, on one thread).
    public let uplink: NodeChain
    /// Agent → provider. Same rule.
    public let downlink: NodeChain
    /// The call's event lane (nodes post to it; the call's I/O side drains it).
    public let events: EventLane

    /// Builds both chains from the nodes `nodes` makes. `agent` says what the agent hears and speaks
    /// (by default what the spec's uplink produces, sent straight back); `rate=agent` in the spec
    /// means the rate it hears. `analysis`: where nodes run what may not run on a media thread —
    /// ``AnalysisPlacement/background`` for a live call, the default ``AnalysisPlacement/inline``
    /// for a graph run offline on one thread.
    ///
    /// - Realtime: unsafe (allocates); control thread only.
    public init(spec: GraphSpec, providerFormat: AudioFormat, agent: AgentAudio = .natural,
                nodes catalog: NodeCatalog = .builtIn, analysis: AnalysisPlacement = .inline) throws(GraphBuildError) {
        self.spec = spec
        let scope = GraphScope(analysis: analysis)
        self.scope = scope
        events = try scope.events()
        let agentRateHz = agent.hears?.sampleRateHz ?? providerFormat.sampleRateHz
        func make(_ entries: [NodeSpec]) throws(GraphBuildError) -> [any MediaNode] {
            var nodes: [any MediaNode] = []
            for entry in entries {
                nodes.append(try catalog.make(entry, scope: scope, providerRateHz: providerFormat.sampleRateHz,
                                              agentRateHz: agentRateHz))
            }
            return nodes
        }
        let specUplink = try make(spec.uplink)
        let decodesItself = specUplink.first.map { FormatConversion.decoderNames.contains($0.name) } ?? true
        let decodeProvider = decodesItself ? [] : try FormatConversion.nodes(toPCMFrom: providerFormat)
        uplink = try NodeChain(nodes: decodeProvider + specUplink, input: providerFormat) { (reached) throws(GraphBuildError) in
            // Agents take a byte stream: an Opus uplink (a passthrough spec) is decoded for them.
            let natural = reached.encoding.isPacketized ? AudioFormat(encoding: .pcm16, sampleRateHz: reached.sampleRateHz) : reached
            return try FormatConversion.nodes(from: reached, to: agent.hears ?? natural)
        }
        let speaks = agent.speaks ?? agent.hears ?? uplink.outputFormat
        let specDownlink = try make(spec.downlink)
        let decode = specDownlink.isEmpty ? [] : try FormatConversion.nodes(toPCMFrom: speaks)
        downlink = try NodeChain(nodes: decode + specDownlink, input: speaks) { (reached) throws(GraphBuildError) in
            do {
                return try FormatConversion.nodes(from: reached, to: providerFormat)
            } catch {
                throw .downlinkMismatch(produces: reached, providerPlays: providerFormat)
            }
        }
    }

    /// The provider's format (uplink input, downlink output). Any thread.
    public var providerFormat: AudioFormat { uplink.inputFormat }
    /// What the agent hears (the uplink's output). Any thread.
    public var agentHears: AudioFormat { uplink.outputFormat }
    /// What the agent speaks (the downlink's input). Any thread.
    public var agentSpeaks: AudioFormat { downlink.inputFormat }

    /// Runs one 20 ms provider frame through the uplink. `fill` writes the provider bytes into the
    /// input frame; returns the frame for the agent. For a packetized provider format (Opus),
    /// `packetBytes` is the packet's length (0: lost, concealed by the decoder).
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runUplink(arrivalNanos: UInt64, packetBytes: Int = 0,
                          fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        let input = uplink.input
        input.pointee.sampleCount = input.pointee.format.samplesPerFrame
        input.pointee.packetByteCount = packetBytes
        input.pointee.arrivalNanos = arrivalNanos
        fill(input.pointee.bytes)
        uplink.run()
        return uplink.output
    }

    /// Runs one 20 ms agent frame (in ``agentSpeaks``) through the downlink. `fill` writes the
    /// agent's bytes into the input frame; returns the frame for the provider.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runDownlink(arrivalNanos: UInt64, fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        let input = downlink.input
        input.pointee.sampleCount = input.pointee.format.samplesPerFrame
        input.pointee.arrivalNanos = arrivalNanos
        fill(input.pointee.bytes)
        downlink.run()
        return downlink.output
    }

    /// Runs one provider frame through the uplink and, as the echo agent, straight back through the
    /// downlink (offline tools and instruction counts; needs an agent that speaks what it hears).
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    public func runEcho(arrivalNanos: UInt64, fill: (UnsafeMutableRawBufferPointer) -> Void) -> UnsafeMutablePointer<AudioFrame> {
        let reply = runUplink(arrivalNanos: arrivalNanos, fill: fill)
        return runDownlink(arrivalNanos: arrivalNanos) { $0.copyMemory(from: UnsafeRawBufferPointer(reply.pointee.bytes)) }
    }

    /// The call's webrtc audio processing (echo canceller, noise suppression), when the graph has an
    /// `apm` node. Read its figures on the media thread (or offline), or after the call retired.
    public var audioProcessor: AudioProcessor? { scope.existing(AudioProcessor.self) }

    /// Every level meter in the graph, uplink first. Read their readings only after the call retired.
    public var levelMeters: [LevelMeterNode] {
        (uplink.nodes + downlink.nodes).compactMap { $0 as? LevelMeterNode }
    }

    /// What one frame of the call costs its media thread, both directions (the sum of every node's
    /// ``MediaNode/instructionsPerFrame``, the edge conversions included).
    public var instructionsPerFrame: Int {
        (uplink.nodes + downlink.nodes).reduce(0) { $0 + $1.instructionsPerFrame }
    }

    /// Per-node processing time in fixed buckets, readable from any thread while the call runs:
    /// uplink nodes first, each with its direction and name.
    public var liveNodeTimings: [(direction: String, node: String, timing: LiveHistograms.Snapshot)] {
        uplink.nodes.indices.map { ("uplink", uplink.nodes[$0].name, uplink.liveTimings.snapshot($0)) }
            + downlink.nodes.indices.map { ("downlink", downlink.nodes[$0].name, downlink.liveTimings.snapshot($0)) }
    }

    /// Per-node timings, uplink nodes first, labelled `uplink.NAME` / `downlink.NAME` (a resampler
    /// may run in both directions). Read only after the call retired.
    public var nodeTimings: [(node: String, histogram: LatencyHistogram)] {
        zip(uplink.nodes.map { "uplink.\($0.name)" }, uplink.timings).map { ($0, $1) }
            + zip(downlink.nodes.map { "downlink.\($0.name)" }, downlink.timings).map { ($0, $1) }
    }
}
