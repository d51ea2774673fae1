/// Downlink: watches whether the agent is audible (frame RMS above a floor) and records when it
/// last was, for the uplink's ``BargeInNode``. The audio passes unchanged. PCM16 mono, any rate.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class PlaybackMonitorNode: MediaNode {
    public let name = "playback-monitor"
    /// RMS above which the agent counts as audible: default 300 (about −41 dBFS).
    public let audibleRMS: Double
    private let scope: GraphScope
    private var playback: Playback?

    public init(scope: GraphScope, audibleRMS: Double = 300) {
        self.scope = scope
        self.audibleRMS = audibleRMS
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono")
        }
        playback = scope.playback()
        return input
    }

    /// An RMS and a few comparisons (measured inside `standard`: about 1,000).
    public var instructionsPerFrame: Int { 1_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        playback!.advance(audible: input.energyAndRMS.rms > audibleRMS, frameMs: input.sampleCount * 1000 / input.format.sampleRateHz)
    }
}

/// When the agent was last audible on the downlink, in downlink media time. Lives in the graph's
/// ``GraphScope``.
///
/// - Threading: the call's media thread only. - Realtime: safe.
public final class Playback {
    /// Media time at the end of the last downlink frame seen.
    public private(set) var nowMs: UInt64 = 0
    /// Media time at the end of the last audible downlink frame, if any.
    public private(set) var lastAudibleMs: UInt64?
    /// How long the agent has been audible in total: what the echo canceller has had to learn from.
    public private(set) var audibleTotalMs: UInt64 = 0

    init() {}

    func advance(audible: Bool, frameMs: Int) {
        nowMs += UInt64(frameMs)
        if audible {
            lastAudibleMs = nowMs
            audibleTotalMs += UInt64(frameMs)
        }
    }

    /// Whether the agent was audible within the last `windowMs`.
    public func wasAudible(withinMs windowMs: UInt64) -> Bool {
        guard let last = lastAudibleMs else { return false }
        return nowMs - last <= windowMs
    }
}
