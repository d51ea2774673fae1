import Foundation
import MediaGraph

/// What a phone line does to the agent's voice on its way back into the caller's microphone, for
/// echo tests and `scripts/audio-quality`: a delay (the network both ways, the provider's buffers,
/// the handset), an attenuation, a short decaying impulse response (the handset's acoustics), mild
/// soft clipping (the loudspeaker) and a noise floor. Deterministic for a given `seed`.
///
/// - Threading: a value; `apply` is a pure function of its inputs.
public struct EchoPath: Sendable, CustomStringConvertible {
    public var delayMs: Int
    /// Echo level relative to the far end, in dB (−6: half the amplitude).
    public var attenuationDb: Double
    /// Length of the impulse response in ms: a direct tap plus random taps decaying to 1/e over a quarter of it.
    public var responseMs = 8
    /// Soft clipping drive: `tanh(drive·x)/drive` on the full-scale signal; 0 keeps it linear.
    public var clippingDrive = 1.5
    /// White noise floor of the microphone in dBFS (RMS); `nil` for none.
    public var noiseDbfs: Double? = -50
    public var seed: UInt64 = 1

    public init(delayMs: Int, attenuationDb: Double) {
        self.delayMs = delayMs
        self.attenuationDb = attenuationDb
    }

    public var description: String { "\(delayMs) ms, \(Int(attenuationDb)) dB" }

    /// The echo of `far` (samples at `rateHz`, same length) and, separately, the noise floor: a
    /// microphone signal is their sum, plus whatever the caller says.
    public func apply(to far: [Int16], rateHz: Int) -> (echo: [Double], noise: [Double]) {
        var random = SplitMix64(seed: seed)
        let response = response(rateHz: rateHz, random: &random)
        let delay = delayMs * rateHz / 1000
        var echo = [Double](repeating: 0, count: far.count)
        for i in delay..<max(delay, far.count) {
            var sum = 0.0
            for k in 0..<min(response.count, i - delay + 1) { sum += response[k] * Double(far[i - delay - k]) }
            echo[i] = loudspeaker(sum)
        }
        let noise = (0..<far.count).map { _ in noiseLevel == 0 ? 0 : noiseLevel * random.nextGaussian() }
        return (echo, noise)
    }

    /// The handset's impulse response at `rateHz`, unit energy: a direct tap and random taps
    /// decaying to 1/e over a quarter of ``responseMs``.
    func response(rateHz: Int, random: inout SplitMix64) -> [Double] {
        let taps = max(1, responseMs * rateHz / 1000)
        let response = (0..<taps).map { i in (i == 0 ? 1 : 0.5 * random.nextGaussian()) * exp(-Double(i) / Double(max(1, taps / 4))) }
        let norm = response.energy.squareRoot()
        return response.map { $0 / norm }
    }

    /// What the loudspeaker makes of a filtered sample: the attenuation, then the soft clipping.
    func loudspeaker(_ sample: Double) -> Double {
        let x = sample * pow(10, attenuationDb / 20) / 32768
        return (clippingDrive > 0 ? tanh(clippingDrive * x) / clippingDrive : x) * 32768
    }

    /// RMS of the noise floor in sample units (0 for none).
    var noiseLevel: Double { noiseDbfs.map { pow(10, $0 / 20) * 32768 } ?? 0 }
}

extension SplitMix64 {
    /// A standard normal draw (Box–Muller over two 53-bit uniforms).
    mutating func nextGaussian() -> Double {
        let u = (Double(next() >> 11) + 1) / 9_007_199_254_740_993
        let v = Double(next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

extension EchoPath {
    /// The same path applied frame by frame, for a live test client that returns what it plays
    /// as its microphone signal.
    ///
    /// - Threading: one owner at a time.
    public struct Live {
        private let path: EchoPath
        private let response: [Double]
        private let delay: Int
        /// A ring of the samples played, newest at `newest`.
        private var history: [Double]
        private var newest = 0
        private var random: SplitMix64

        public init(path: EchoPath, rateHz: Int = 8000) {
            self.path = path
            var draws = SplitMix64(seed: path.seed)
            response = path.response(rateHz: rateHz, random: &draws)
            delay = path.delayMs * rateHz / 1000
            history = [Double](repeating: 0, count: delay + response.count)
            random = SplitMix64(seed: path.seed)
        }

        /// Takes the samples that just played; returns what the microphone hears at the same time.
        public mutating func next(played: [Int16]) -> [Int16] {
            played.map { sample in
                newest = (newest + 1) % history.count
                history[newest] = Double(sample)
                var sum = 0.0
                for k in 0..<response.count { sum += response[k] * history[(newest - delay - k + 2 * history.count) % history.count] }
                let noise = path.noiseLevel * random.nextGaussian()
                return Int16(max(-32768, min(32767, (path.loudspeaker(sum) + noise).rounded())))
            }
        }
    }
}
