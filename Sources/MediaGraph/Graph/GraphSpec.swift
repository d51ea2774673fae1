/// Which nodes a call's graph runs, in which order, on each direction.
///
/// The uplink chain takes the provider's audio (e.g. μ-law 8 kHz) to the agent; the downlink chain
/// takes the agent's audio back to the provider's format. Formats are negotiated when the
/// ``Graph`` is built, so a spec that does not fit fails at call start, never mid-call.
///
/// - Threading: a value type; safe anywhere.
public struct GraphSpec: Sendable {
    /// The preset name (`--graph`), or a label for hand-made specs.
    public var name: String
    /// Node names from ``NodeCatalog``, provider → agent.
    public var uplink: [String]
    /// Node names from ``NodeCatalog``, agent → provider.
    public var downlink: [String]

    public init(name: String, uplink: [String], downlink: [String]) {
        self.name = name
        self.uplink = uplink
        self.downlink = downlink
    }

    /// Codec only: μ-law in, 16-bit PCM to the agent, PCM from the agent, μ-law out.
    public static let passthrough = GraphSpec(name: "passthrough", uplink: ["mulaw-decode"], downlink: ["mulaw-encode"])

    /// Telephone audio cleaned for a 16 kHz agent: μ-law decode, resample to 16 kHz, webrtc audio
    /// processing (echo cancellation against the downlink, noise suppression, high-pass), VAD and
    /// barge-in detection; the downlink records the echo reference, watches playback, and goes
    /// back to μ-law at 8 kHz. See docs/graphs.md for its delay and cost.
    public static let standard = GraphSpec(
        name: "standard",
        uplink: ["mulaw-decode", "resample-16k", "apm", "vad", "barge-in"],
        downlink: ["echo-reference", "playback-monitor", "resample-8k", "mulaw-encode"])

    /// `standard` plus adaptive digital gain control and level meters on both directions (their
    /// readings go into each call's end-of-call log line).
    public static let full = GraphSpec(
        name: "full",
        uplink: ["mulaw-decode", "resample-16k", "apm-agc", "level-meter", "vad", "barge-in"],
        downlink: ["echo-reference", "playback-monitor", "level-meter-out", "resample-8k", "mulaw-encode"])

    /// Every preset `voiced serve --graph` accepts, by name.
    public static let presets: [String: GraphSpec] = [passthrough.name: passthrough, standard.name: standard, full.name: full]

    /// The preset called `name`, or ``GraphBuildError/unknownPreset(_:)``.
    public static func preset(named name: String) throws(GraphBuildError) -> GraphSpec {
        guard let spec = presets[name] else { throw .unknownPreset(name) }
        return spec
    }
}
