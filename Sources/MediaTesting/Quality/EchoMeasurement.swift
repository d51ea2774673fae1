import Foundation
import MediaGraph

/// Echo return loss enhancement of a graph on an echo-only call: the agent speaks `far`, the
/// caller is silent, the microphone returns the agent through `path`. The graph runs twice over
/// the same noise, once with the echo and once without, and ERLE is the echo's energy over what
/// the echo added to the output (so a noise floor that survives the graph does not cap it):
/// `10·log10(Σ echo² / max(Σ out_echo+noise² − Σ out_noise², tiny))`, from 2 s into the call, on
/// the frames where the echo is audible (above −60 dBFS); capped at 60 dB.
///
/// - Threading: one thread.
public struct EchoMeasurement {
    public let erleDb: Double
    /// Barge-ins raised by the echo alone.
    public var bargeIns: Int { bargeInTimes.count }
    /// Their media times in ms.
    public let bargeInTimes: [UInt64]
    /// The delay the canceller ended with, in ms.
    public let delayFoundMs: Int?
    /// (media time ms, new delay ms) each time the canceller's delay changed.
    public let delayChanges: [(atMs: Int, delayMs: Int)]

    public init(path: EchoPath, spec: GraphSpec, far: [Int16], settleSeconds: Double = 2) throws {
        let rateHz = 8000
        let (echo, noise) = path.apply(to: far, rateHz: rateHz)
        let withEcho = try DuplexRun(spec: spec, far: far, near: mix(echo, noise))
        let noiseOnly = try DuplexRun(spec: spec, far: far, near: mix(noise))
        let frame = rateHz / 50
        var echoEnergy = 0.0, added = 0.0
        for at in stride(from: Int(settleSeconds * Double(rateHz)), to: withEcho.agentHeard.count - frame, by: frame) {
            let e = echo[at..<(at + frame)].energy
            guard e > Double(frame) * 33 * 33 else { continue } // −60 dBFS
            echoEnergy += e
            added += withEcho.agentHeard[at..<(at + frame)].energy - noiseOnly.agentHeard[at..<(at + frame)].energy
        }
        erleDb = min(60, 10 * log10(echoEnergy / max(added, echoEnergy * 1e-6)))
        bargeInTimes = withEcho.bargeIns
        delayFoundMs = withEcho.echoDelayMs
        let trace = withEcho.echoDelayTrace
        delayChanges = trace.indices.filter { $0 == 0 || trace[$0] != trace[$0 - 1] }.map { ($0 * 20, trace[$0]) }
    }
}
