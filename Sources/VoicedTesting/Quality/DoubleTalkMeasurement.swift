import Foundation
import MediaGraph

/// What a graph does to a caller who talks over the agent: the agent speaks, its echo comes back
/// through `path`, and the caller's sentences start `callerOffsetMs` into the call. The same graph
/// also runs over the caller alone (same noise, silent agent); over the frames where the caller
/// and the echo overlap (both above −50 dBFS), each output frame's level is compared with the
/// caller-alone output's.
///
/// - Threading: one thread.
public struct DoubleTalkMeasurement {
    /// Median of (double-talk level − caller-alone level) per overlap frame, in dB.
    public let medianLossDb: Double
    /// Share of overlap frames more than 6 dB down.
    public let framesSixDbDown: Double
    /// Echo energy over the energy of (double-talk output − caller-alone output) in the overlap,
    /// in dB: how far below the echo what is not the caller's own processed voice stays (it counts
    /// the caller's distortion too, so it is a lower bound of the echo's suppression).
    public let echoDownDb: Double
    /// ms from the caller's first onset to the first barge-in (nil: none).
    public let bargeInAfterMs: Int?
    /// Barge-ins before the caller spoke.
    public let falseBargeIns: Int
    public let overlapFrames: Int

    public init(spec: GraphSpec, agent: [Int16], caller: [Int16], sentences: [(start: Int, end: Int)], path: EchoPath,
                callerOffsetMs: Int = 6000, rateHz: Int = 8000) throws {
        let (echo, noise) = path.apply(to: agent, rateHz: rateHz)
        let offset = callerOffsetMs * rateHz / 1000
        var voice = [Double](repeating: 0, count: agent.count)
        for i in 0..<min(caller.count, max(0, agent.count - offset)) { voice[offset + i] = Double(caller[i]) }
        let together = try DuplexRun(spec: spec, far: agent, near: mix(echo, voice, noise))
        let alone = try DuplexRun(spec: spec, far: [Int16](repeating: 0, count: agent.count), near: mix(voice, noise))
        let frame = rateHz / 50
        let floor = Double(frame) * pow(10, -50.0 / 10) * 32768 * 32768
        var losses: [Double] = []
        var echoEnergy = 0.0, other = 0.0
        for at in stride(from: 0, to: min(together.agentHeard.count, alone.agentHeard.count) - frame, by: frame) {
            let v = voice[at..<(at + frame)].reduce(0) { $0 + $1 * $1 }
            let e = echo[at..<(at + frame)].reduce(0) { $0 + $1 * $1 }
            guard v > floor, e > floor else { continue }
            losses.append(Level.dbfs(together.agentHeard[at..<(at + frame)]) - Level.dbfs(alone.agentHeard[at..<(at + frame)]))
            echoEnergy += e
            for i in at..<(at + frame) {
                let d = Double(together.agentHeard[i]) - Double(alone.agentHeard[i])
                other += d * d
            }
        }
        losses.sort()
        overlapFrames = losses.count
        medianLossDb = losses.isEmpty ? 0 : losses[losses.count / 2]
        framesSixDbDown = losses.isEmpty ? 0 : Double(losses.filter { $0 < -6 }.count) / Double(losses.count)
        echoDownDb = 10 * log10(echoEnergy / max(other, 1))
        let onsetMs = UInt64(callerOffsetMs + (sentences.first?.start ?? 0))
        let bargeIns = together.bargeIns
        falseBargeIns = bargeIns.filter { $0 + 20 < onsetMs }.count
        bargeInAfterMs = bargeIns.first { $0 + 20 >= onsetMs }.map { Int($0) - Int(onsetMs) }
    }
}
