import Foundation
import MediaGraph

/// How well a graph's speech events follow the truth: the caller speaks `sentences` (ms, from the
/// generator), alone or over noise at `snrDb`, the agent silent. A frame is speech from a
/// `speechStarted` to the next `speechStopped`.
///
/// - Threading: one thread.
public struct VoiceActivityMeasurement {
    /// Share of frames where the events agree with the truth.
    public let accuracy: Double
    /// ms from each sentence's start to the first speech start at or after 200 ms before it (nil
    /// where none came before the sentence ended).
    public let onsetsMs: [Int?]
    /// Speech starts with no sentence within 200 ms.
    public let falseStarts: Int

    public init(spec: GraphSpec, speech: [Int16], sentences: [(start: Int, end: Int)], noise: [Int16]? = nil, snrDb: Double = 10,
                rateHz: Int = 8000) throws {
        let near = noise.map { mix(speech.map(Double.init), Level.noise($0, under: speech, snrDb: snrDb, count: speech.count)) } ?? speech
        let run = try DuplexRun(spec: spec, far: [Int16](repeating: 0, count: near.count), near: near)
        let frames = run.agentHeard.count / (rateHz / 50)
        var detected = [Bool](repeating: false, count: frames)
        func markSpeech(fromMs: Int, toMs: Int) {
            for f in stride(from: max(0, fromMs / 20), to: min(frames, toMs / 20), by: 1) { detected[f] = true }
        }
        var starts: [Int] = []
        var openedAt: Int?
        for event in run.events {
            switch event {
            case let .speechStarted(ms):
                openedAt = Int(ms)
                starts.append(Int(ms))
            case let .speechStopped(ms):
                if let from = openedAt { markSpeech(fromMs: from, toMs: Int(ms)) }
                openedAt = nil
            case .bargeIn, .node:
                break
            }
        }
        if let from = openedAt { markSpeech(fromMs: from, toMs: frames * 20) }
        let truth = (0..<frames).map { f in sentences.contains { f * 20 + 10 >= $0.start && f * 20 + 10 < $0.end } }
        accuracy = Double(zip(truth, detected).filter { $0 == $1 }.count) / Double(max(1, frames))
        onsetsMs = sentences.map { s in starts.first { $0 >= s.start - 200 && $0 < s.end }.map { $0 - s.start } }
        falseStarts = starts.filter { t in !sentences.contains { t >= $0.start - 200 && t < $0.end + 200 } }.count
    }

    /// Speech starts the graph raises over `seconds` of `noise` alone, at the level that puts
    /// `speech` `snrDb` above it.
    public static func falseStartsInNoise(spec: GraphSpec, noise: [Int16], levelOf speech: [Int16], snrDb: Double = 10,
                                          seconds: Int = 60, rateHz: Int = 8000) throws -> Int {
        let count = seconds * rateHz
        let run = try DuplexRun(spec: spec, far: [Int16](repeating: 0, count: count),
                                near: mix(Level.noise(noise, under: speech, snrDb: snrDb, count: count)))
        return run.events.filter { if case .speechStarted = $0 { true } else { false } }.count
    }
}
