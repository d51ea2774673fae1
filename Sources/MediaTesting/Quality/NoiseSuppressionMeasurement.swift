import Foundation
import MediaGraph

/// What a graph's noise suppression does, the agent silent: to clean speech (how much of the
/// speech it takes), and to speech in noise at `snrDb` (how much less noise is left in the pauses).
///
/// - Threading: one thread.
public struct NoiseSuppressionMeasurement {
    /// Output level − input level over the speech frames of clean speech, in dB (energy-weighted).
    public let cleanLossDb: Double
    /// Share of clean speech frames more than 6 dB down.
    public let cleanFramesSixDbDown: Double
    /// Input noise level − output level in the pauses of the noisy speech, in dB (nil: no noise given).
    public let noiseReductionDb: Double?

    /// `sentences` marks the speech (ms); frames within 100 ms of a sentence count as neither
    /// speech nor pause. Speech frames are those above −45 dBFS inside a sentence. `analysis`:
    /// as ``DuplexRun``'s (`.background` for what a live call hears).
    public init(spec: GraphSpec, speech: [Int16], sentences: [(start: Int, end: Int)], noise: [Int16]?, snrDb: Double = 10,
                rateHz: Int = 8000, analysis: AnalysisPlacement = .inline) throws {
        let frame = rateHz / 50
        let silentAgent = [Int16](repeating: 0, count: speech.count)
        let clean = try DuplexRun(spec: spec, far: silentAgent, near: speech, analysis: analysis)
        // Compared frame by frame after the graph's own delay (webrtc's NS and AEC add 6–20 ms).
        let lag = AddedDelayMeasurement.lag(of: clean.agentHeard, behind: speech, maxLag: 400)
        let heard = Array(clean.agentHeard.dropFirst(lag))
        let count = min(heard.count, speech.count) / frame
        func inSentence(_ index: Int, margin: Int) -> Bool {
            let ms = index * 20
            return sentences.contains { ms + 20 > $0.start - margin && ms < $0.end + margin }
        }
        var inEnergy = 0.0, outEnergy = 0.0, speechFrames = 0, down = 0
        for index in 0..<count where inSentence(index, margin: 0) {
            let range = (index * frame)..<((index + 1) * frame)
            let level = Level.dbfs(speech[range])
            guard level > -45 else { continue }
            speechFrames += 1
            inEnergy += speech[range].energy
            outEnergy += heard[range].energy
            if Level.dbfs(heard[range]) - level < -6 { down += 1 }
        }
        cleanLossDb = 10 * log10(max(outEnergy, 1) / max(inEnergy, 1))
        cleanFramesSixDbDown = Double(down) / Double(max(1, speechFrames))
        guard let noise else {
            noiseReductionDb = nil
            return
        }
        let scaled = Level.noise(noise, under: speech, snrDb: snrDb, count: speech.count)
        let noisy = try DuplexRun(spec: spec, far: silentAgent, near: mix(speech.map(Double.init), scaled), analysis: analysis)
        var noiseIn = 0.0, noiseOut = 0.0
        // The first second is left out: the suppressor is still learning the noise.
        let noisyHeard = Array(noisy.agentHeard.dropFirst(lag))
        for index in 50..<count where !inSentence(index, margin: 100) {
            let range = (index * frame)..<((index + 1) * frame)
            noiseIn += scaled[range].energy
            noiseOut += noisyHeard[range].energy
        }
        noiseReductionDb = 10 * log10(max(noiseIn, 1) / max(noiseOut, 1))
    }
}
