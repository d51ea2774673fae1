import CAudio
import MediaGraph

/// Runs a graph offline over both directions of a call at once, 20 ms at a time: the agent's
/// speech (`far`, PCM at the agent's rate) down the downlink, then the caller's microphone (`near`,
/// PCM at the provider's rate, μ-law encoded first when the provider speaks μ-law) up the uplink,
/// as a call does when the far-end frame playing now and the near-end frame captured now meet on
/// the media thread. What the tests and `scripts/audio-quality` measure echo, double talk, noise
/// suppression and barge-in on.
///
/// - Threading: one thread; the graph is built and run on the caller's thread.
public struct DuplexRun {
    /// What the agent heard (uplink output, PCM at the agent's rate).
    public var agentHeard: [Int16] = []
    /// What the caller heard (downlink output as PCM at the provider's rate, μ-law decoded).
    public var callerHeard: [Int16] = []
    /// Every event the graph posted, with its media time.
    public var events: [MediaEvent] = []
    /// The echo canceller's delay in use after each frame (ms), when the graph has one.
    public var echoDelayTrace: [Int] = []
    /// The echo canceller's delay in use at the end (ms), when the graph has one.
    public var echoDelayMs: Int? { echoDelayTrace.last }

    /// `spec` runs with the provider at `provider` and the agent at PCM `agentRateHz`. `analysis`:
    /// ``AnalysisPlacement/background`` runs what a live call runs on analysis threads there (a
    /// neural VAD's decisions reach the graph a frame later, as on a call), waiting for them after
    /// each frame so none is dropped and the run repeats exactly.
    public init(spec: GraphSpec, provider: AudioFormat = .telephonyMuLaw, agentRateHz: Int = 8000, far: [Int16], near: [Int16],
                analysis: AnalysisPlacement = .inline) throws {
        let graph = try Graph(spec: spec, providerFormat: provider, agent: .pcm(rateHz: agentRateHz), analysis: analysis)
        let farFrame = agentRateHz / 50
        let nearFrame = provider.sampleRateHz / 50
        let frames = min(far.count / farFrame, near.count / nearFrame)
        agentHeard.reserveCapacity(frames * agentRateHz / 50)
        for index in 0..<frames {
            let heard = graph.runDownlink(arrivalNanos: 0) { bytes in
                far.withUnsafeBytes { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(index * farFrame * 2)..<((index + 1) * farFrame * 2)])) }
            }
            if provider.encoding == .mulaw {
                callerHeard += heard.pointee.bytes.map { vd_ulaw_decode_sample($0) }
            } else {
                callerHeard += heard.pointee.pcm16
            }
            let out = graph.runUplink(arrivalNanos: 0) { bytes in
                let samples = near[(index * nearFrame)..<((index + 1) * nearFrame)]
                if provider.encoding == .mulaw {
                    for (i, s) in samples.enumerated() { bytes[i] = vd_ulaw_encode_sample(s) }
                } else {
                    samples.withUnsafeBytes { bytes.copyMemory(from: $0) }
                }
            }
            agentHeard += out.pointee.pcm16
            if analysis == .background { AnalysisThreads.shared.waitUntilIdle() }
            graph.events.drain { events.append($0) }
            if let delay = graph.audioProcessor?.echoDelayInUseMs { echoDelayTrace.append(delay) }
        }
    }

    /// Media times (ms) of the barge-ins the graph raised.
    public var bargeIns: [UInt64] { events.compactMap { if case let .bargeIn(ms) = $0 { ms } else { nil } } }
}
