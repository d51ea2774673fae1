/// Which nodes a call's graph runs, in which order, on each direction.
///
/// The uplink chain takes the provider's audio (e.g. μ-law 8 kHz) to the agent; the downlink chain
/// takes the agent's audio back to the provider's format. Formats are negotiated when the
/// ``Graph`` is built, so a spec that does not fit fails at call start, never mid-call.
///
/// - Threading: a value type; safe anywhere.
public struct GraphSpec: Sendable {
    /// The preset name (`--graph`), the name under `[graphs]`, or a label for hand-made specs.
    public var name: String
    /// The uplink's nodes, provider → agent.
    public var uplink: [NodeSpec]
    /// The downlink's nodes, agent → provider.
    public var downlink: [NodeSpec]

    public init(name: String, uplink: [NodeSpec], downlink: [NodeSpec]) {
        self.name = name
        self.uplink = uplink
        self.downlink = downlink
    }

    /// Reads a spec written `uplink nodes; downlink nodes`, each chain's entries separated by
    /// commas, e.g. `mulaw-decode, apm(ns=high), vad; mulaw-encode`. Throws
    /// ``GraphBuildError/badSpec(_:)`` when it is not of that shape (node names and settings are
    /// checked when the graph is built).
    public init(name: String = "custom", parsing text: String) throws(GraphBuildError) {
        let chains = text.split(separator: ";", omittingEmptySubsequences: false)
        guard chains.count == 2 else { throw .badSpec("'\(text)': write the uplink nodes, ';', then the downlink nodes") }
        var parsed: [[NodeSpec]] = []
        for chain in chains {
            var entries: [String] = []
            var depth = 0
            var current = ""
            for ch in chain {
                if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
                if ch == ",", depth == 0 {
                    entries.append(current.trimmingSpaces)
                    current = ""
                } else {
                    current.append(ch)
                }
            }
            entries.append(current.trimmingSpaces)
            entries.removeAll { $0.isEmpty }
            var specs: [NodeSpec] = []
            for entry in entries { specs.append(try NodeSpec(parsing: entry)) }
            parsed.append(specs)
        }
        self.init(name: name, uplink: parsed[0], downlink: parsed[1])
    }

    /// The spec in the form ``init(name:parsing:)`` reads.
    public var text: String {
        uplink.map(\.description).joined(separator: ", ") + "; " + downlink.map(\.description).joined(separator: ", ")
    }

    /// No processing: only the conversions between the provider's and the agent's formats that the
    /// ``Graph`` adds at its edges — none at all when both speak μ-law at 8 kHz.
    public static let passthrough = GraphSpec(name: "passthrough", uplink: [], downlink: [])

    /// Telephone audio cleaned for the agent, processed at the provider's rate (8 kHz for μ-law:
    /// the band the call carries; 16 kHz for wider providers): the provider's codec decoded, webrtc
    /// audio processing (echo cancellation against the downlink, noise suppression, high-pass), VAD
    /// and barge-in detection, then resampling to the agent's rate (nothing to do when the agent
    /// speaks the provider's rate). The downlink resamples the agent to the processing rate first,
    /// so the echo reference is exactly what the caller hears. See docs/graphs.md for its delay and
    /// cost.
    public static let standard = preset("standard", """
        resample(rate=processing), apm, vad, barge-in, resample(rate=agent);
        resample(rate=processing), echo-reference, playback-monitor
        """)

    /// `standard` processed at 16 kHz: the provider's audio is resampled to 16 kHz before the audio
    /// processing and from 16 kHz to the agent's rate after it; the downlink mirrors it. For
    /// wideband sources; on 8 kHz μ-law it costs several times `standard`.
    public static let wideband = preset("wideband", """
        resample(rate=16000), apm, vad, barge-in, resample(rate=agent);
        resample(rate=16000), echo-reference, playback-monitor, resample(rate=provider)
        """)

    /// `standard` with the neural VAD (`silero-vad`) in place of webrtc's, and the noise taken out
    /// of the caller's pauses by a `speech-gate` it drives instead of by webrtc's suppressor (off
    /// here): for callers in noise — a café's voices, a car, a street. Its VAD holds where `vad`
    /// does not (docs/audio-quality.md: 92 % of frames right in babble at 10 dB SNR against 80 %,
    /// no false starts in a minute of white or brown noise against 2–3), and the caller's speech
    /// keeps its level (−0.3 dB against −0.8 dB) with 11–12 dB less noise between sentences. The
    /// price: the network's run on an analysis thread, about 3.4 ms of a core per call-second, and
    /// ONNX Runtime and the model installed (scripts/install-deps). Its barge-in asks the caller's
    /// speech to reach −40 dBFS once (far below a phone call's speech): the neural VAD, which hears
    /// quiet speech, otherwise took one brief echo leak on the corpus for an interruption.
    public static let neural = preset("neural", """
        resample(rate=processing), apm(ns=off), silero-vad, barge-in(floor-dbfs=-40), speech-gate, resample(rate=agent);
        resample(rate=processing), echo-reference, playback-monitor
        """)

    /// `standard` plus adaptive digital gain control and level meters on both directions (their
    /// readings go into each call's end-of-call log line).
    public static let full = preset("full", """
        resample(rate=processing), apm(agc=on), level-meter, vad, barge-in, resample(rate=agent);
        resample(rate=processing), echo-reference, playback-monitor, level-meter-out
        """)

    /// Every preset `voiced serve --graph` accepts, by name.
    public static let presets: [String: GraphSpec] = [
        passthrough.name: passthrough, standard.name: standard, wideband.name: wideband, full.name: full, neural.name: neural,
    ]

    /// A preset, written as a configuration file's `[graphs]` would write it.
    private static func preset(_ name: String, _ text: String) -> GraphSpec {
        do {
            return try GraphSpec(name: name, parsing: text)
        } catch {
            preconditionFailure("preset \(name): \(error)")
        }
    }

    /// The preset called `text`, or, when `text` holds a `;`, the spec it writes out.
    /// Throws ``GraphBuildError/unknownPreset(_:)`` or ``GraphBuildError/badSpec(_:)``.
    public static func named(_ text: String) throws(GraphBuildError) -> GraphSpec {
        if text.contains(";") { return try GraphSpec(parsing: text) }
        guard let spec = presets[text] else { throw .unknownPreset(text) }
        return spec
    }
}
