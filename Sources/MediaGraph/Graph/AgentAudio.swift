/// The formats on the agent's side of a call's graph: what the uplink delivers to the agent and
/// what the agent sends back into the downlink. They may differ (an agent may hear μ-law at 8 kHz
/// and speak PCM at 24 kHz). The graph converts at its edges (see ``Graph``).
///
/// - Threading: a value type; safe anywhere.
public struct AgentAudio: Sendable, Hashable, CustomStringConvertible {
    /// What the agent hears; nil: whatever the spec's uplink produces.
    public var hears: AudioFormat?
    /// What the agent speaks; nil: the same as it hears (an echo).
    public var speaks: AudioFormat?

    public init(hears: AudioFormat? = nil, speaks: AudioFormat? = nil) {
        self.hears = hears
        self.speaks = speaks
    }

    /// Whatever the spec produces, sent straight back: the echo agent's default.
    public static let natural = AgentAudio()

    /// 16-bit PCM at `rateHz` both ways.
    public static func pcm(rateHz: Int) -> AgentAudio {
        let format = AudioFormat(encoding: .pcm16, sampleRateHz: rateHz)
        return AgentAudio(hears: format, speaks: format)
    }

    public var description: String {
        "hears \(hears.map(\.description) ?? "the graph's output"), speaks \(speaks.map(\.description) ?? "the same")"
    }
}
