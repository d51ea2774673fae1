import MediaGraph

/// One call on its own media thread, driven frame by frame from the calling thread: what the
/// benchmarks and graph tests use to push a frame through the real rings, wake-up and graph.
///
/// - Threading: `roundTrip` and `close` from one thread at a time (it plays the call's I/O thread).
public final class EchoHarness {
    public let thread: MediaThread
    public let doorbell: Doorbell
    public let call: CallPipeline

    public init(spec: GraphSpec, callID: UInt64 = 1, agent: AgentAudio = .natural, nodes: NodeCatalog = .builtIn) throws {
        thread = try MediaThread(index: 0, configuration: .init(maxCalls: 1))
        doorbell = try Doorbell(mediaThreads: 1, callsPerThread: 1)
        // Unpaced: a benchmark sends frame after frame far faster than real time.
        call = try CallPipeline(callID: callID, spec: spec, providerFormat: .telephonyMuLaw, agent: agent, nodes: nodes, doorbell: doorbell,
                                configuration: .unpaced)
        try thread.attach(call)
    }

    /// Sends one 20 ms provider frame and spins until its reply is back, as the I/O side and the
    /// echo agent would: the frame goes through the uplink, back into agent-in, through the paced
    /// downlink, and out. Returns the reply's first byte.
    public func roundTrip(_ frame: [UInt8]) -> UInt8 {
        _ = frame.withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
        thread.requestWake()
        var first: UInt8 = 0
        while true {
            doorbell.drain { _, _ in }
            call.acknowledgeWake()
            if call.readAgentAudio({ bytes, arrival in _ = call.writeAgentAudio(bytes, arrivalNanos: arrival) }) > 0 {
                thread.requestWake()
            }
            if call.readProviderAudio(maxFrames: 1, { bytes, _ in first = bytes[0] }) == 1 { return first }
        }
    }

    /// Detaches the call and stops the thread.
    public func close() {
        thread.detach(call)
        while !call.isRetired {}
        thread.stop()
    }
}
