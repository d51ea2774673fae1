import Foundation
import MediaGraph

/// The delay a graph adds in each direction, found by cross-correlating what went in with what
/// came out (speech both ways, the other direction silent). In ms, to one sample.
///
/// - Threading: one thread.
public struct AddedDelayMeasurement {
    public let uplinkMs: Double
    public let downlinkMs: Double

    public init(spec: GraphSpec, speech: [Int16], rateHz: Int = 8000) throws {
        let silence = [Int16](repeating: 0, count: speech.count)
        let up = try DuplexRun(spec: spec, far: silence, near: speech)
        let down = try DuplexRun(spec: spec, far: speech, near: silence)
        uplinkMs = Double(Self.lag(of: up.agentHeard, behind: speech)) * 1000 / Double(rateHz)
        downlinkMs = Double(Self.lag(of: down.callerHeard, behind: speech)) * 1000 / Double(rateHz)
    }

    /// The lag (samples, 0…`maxLag`) at which `output` best matches `input`, correlated over
    /// `window` of the input (by default its first 5 s at 8 kHz).
    public static func lag(of output: [Int16], behind input: [Int16], maxLag: Int = 800, over window: Range<Int>? = nil) -> Int {
        let window = window ?? 0..<min(40_000, min(output.count, input.count) - maxLag)
        var best = 0, bestScore = -Double.infinity
        for lag in 0...maxLag {
            var score = 0.0
            for i in window { score += Double(input[i]) * Double(output[i + lag]) }
            if score > bestScore { (best, bestScore) = (lag, score) }
        }
        return best
    }
}
