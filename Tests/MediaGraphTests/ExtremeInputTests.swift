import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

/// Full-scale, clipped and hostile input: no node may crash, wrap around, or be left poisoned
/// (silent, stuck or full-scale) for the speech that follows. Frames are 16-bit integers, so NaN
/// and infinity cannot enter a graph; inside, the resampler and webrtc work in float, which is
/// where overshoot or a NaN would show as wrapped or stuck samples.
@Suite struct ExtremeInputTests {
    /// 20 ms μ-law frames: 2 s of a clipped 250 Hz square wave (every sample at ±full scale),
    /// 2 s of full-scale white noise, 1 s of digital silence, then the test speech.
    static func hostileThenSpeech() throws -> (frames: [[UInt8]], speechFrom: Int) {
        var rng = SplitMix64(seed: 7)
        var pcm: [Int16] = (0..<16000).map { ($0 / 16) % 2 == 0 ? .max : .min }
        pcm += (0..<16000).map { _ in Int16(truncatingIfNeeded: rng.next()) }
        pcm += [Int16](repeating: 0, count: 8000)
        var ulaw = [UInt8](repeating: 0, count: pcm.count)
        vd_ulaw_encode(pcm, &ulaw, pcm.count)
        let hostile = stride(from: 0, to: ulaw.count, by: 160).map { Array(ulaw[$0..<($0 + 160)]) }
        return (hostile + (try TestSpeech.frames()), hostile.count)
    }

    @Test(arguments: [("standard", 8000), ("standard", 16000), ("wideband", 8000), ("full", 8000), ("neural", 8000)])
    func presetsSurviveAndRecover(preset: String, agentRateHz: Int) throws {
        let (frames, speechFrom) = try Self.hostileThenSpeech()
        let graph = try Graph(spec: GraphSpec.named(preset), providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: agentRateHz))
        var toAgent: [Int16] = []
        var toCaller = 0
        for frame in frames {
            let out = frame.withUnsafeBytes { bytes in graph.runEcho(arrivalNanos: 0) { $0.copyMemory(from: bytes) } }
            toCaller += out.pointee.sampleCount
            toAgent += graph.uplink.output.pointee.pcm16
        }
        #expect(toCaller == frames.count * 160, "one frame back per frame in")
        // No wrap-around on the clipped square wave (runs of 16 equal samples at 8 kHz): an overflow
        // shows as one sample flipped against both neighbours by most of the full range.
        let perFrame = agentRateHz / 50
        let square = toAgent[0..<(100 * perFrame)].map(Int.init)
        let flips = (1..<(square.count - 1)).filter { (i: Int) -> Bool in
            let before: Int = abs(square[i] - square[i - 1])
            let after: Int = abs(square[i] - square[i + 1])
            return before > 40_000 && after > 40_000
        }
        #expect(flips.isEmpty, "wrapped samples at \(flips.prefix(5))")
        // Not poisoned: the speech afterwards comes through at a sane level.
        let speech = toAgent[(speechFrom * perFrame)...]
        let rms = (speech.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(speech.count)).squareRoot()
        let clipped = speech.filter { $0 == .max || $0 == .min }.count
        print("\(preset) (agent \(agentRateHz) Hz) after hostile input: speech RMS \(Int(rms)), \(clipped) clipped samples")
        #expect(rms > 300 && rms < 12_000)
        #expect(clipped < speech.count / 1000)
    }
}
