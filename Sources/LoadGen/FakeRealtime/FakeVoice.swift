import Foundation

/// A TTS-like test signal for the fake agent's answers: a voiced tone (fundamental plus two
/// harmonics) whose pitch glides slowly between about 110 and 190 Hz, under a syllable-like
/// envelope of four lobes a second (peak about 0.35 of full scale, falling to zero between lobes).
///
/// It is continuous across chunks: each call to ``next(samples:)`` carries on where the last one
/// stopped. Samples are `Int16`.
///
/// - Threading: one instance per response; used on that connection's event loop only.
/// - Ownership: a value.
/// - Realtime: unsafe (allocates the returned array); test and load-generator code only.
struct FakeVoice {
    let sampleRateHz: Int
    private var sampleIndex = 0
    private var phase = 0.0

    init(sampleRateHz: Int) { self.sampleRateHz = sampleRateHz }

    mutating func next(samples count: Int) -> [Int16] {
        var out = [Int16]()
        out.reserveCapacity(count)
        let rate = Double(sampleRateHz)
        for _ in 0..<count {
            let t = Double(sampleIndex) / rate
            let pitchHz = 150 + 40 * sin(2 * .pi * 0.35 * t)
            phase += 2 * .pi * pitchHz / rate
            if phase > 2 * .pi { phase -= 2 * .pi }
            let envelope = 0.35 * pow(abs(sin(.pi * 4 * t)), 0.7)
            let value = envelope * (0.65 * sin(phase) + 0.25 * sin(2 * phase) + 0.1 * sin(3 * phase))
            out.append(Int16(max(-1, min(1, value)) * 32767))
            sampleIndex += 1
        }
        return out
    }
}
