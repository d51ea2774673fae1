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
    /// Echo energy over the energy the echo added to the output in the overlap (double-talk output
    /// energy − caller-alone output energy: the caller and the residual echo are independent, so
    /// their energies add), in dB; capped at 60.
    public let echoDownDb: Double
    /// ms from the caller's first onset to the first barge-in (nil: none).
    public let bargeInAfterMs: Int?
    /// Barge-ins before the caller spoke or more than 500 ms after they stopped.
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
        var echoEnergy = 0.0, added = 0.0
        for at in stride(from: 0, to: min(together.agentHeard.count, alone.agentHeard.count) - frame, by: frame) {
            let v = voice[at..<(at + frame)].energy
            let e = echo[at..<(at + frame)].energy
            guard v > floor, e > floor else { continue }
            losses.append(Level.dbfs(together.agentHeard[at..<(at + frame)]) - Level.dbfs(alone.agentHeard[at..<(at + frame)]))
            echoEnergy += e
            added += together.agentHeard[at..<(at + frame)].energy - alone.agentHeard[at..<(at + frame)].energy
        }
        losses.sort()
        overlapFrames = losses.count
        medianLossDb = losses.isEmpty ? 0 : losses[losses.count / 2]
        framesSixDbDown = losses.isEmpty ? 0 : Double(losses.filter { $0 < -6 }.count) / Double(losses.count)
        echoDownDb = min(60, 10 * log10(echoEnergy / max(added, echoEnergy * 1e-6)))
        let onsetMs = UInt64(callerOffsetMs + (sentences.first?.start ?? 0))
        let bargeIns = together.bargeIns
        let endMs = UInt64(callerOffsetMs + (sentences.last?.end ?? 0) + 500)
        falseBargeIns = bargeIns.filter { $0 + 20 < onsetMs || $0 > endMs }.count
        bargeInAfterMs = bargeIns.first { $0 + 20 >= onsetMs }.map { Int($0) - Int(onsetMs) }
    }
}
