import CAudio

#if canImport(Glibc)
import Glibc
#endif

extension AudioFormat {
    /// `milliseconds` of a sine at `frequencyHz` and `level` (of full scale) in this format (PCM16
    /// or μ-law), with 10 ms fades at each end. For prompts where speech cannot be had.
    ///
    /// - Realtime: unsafe (allocates).
    public func tone(frequencyHz: Double, milliseconds: Int, level: Double = 0.25) -> [UInt8] {
        let count = sampleRateHz * milliseconds / 1000
        let fade = Double(sampleRateHz) / 100
        let pcm: [Int16] = (0..<count).map { i in
            let envelope = min(1, Double(i) / fade, Double(count - i) / fade)
            return Int16(32767 * level * envelope * sin(2 * Double.pi * frequencyHz * Double(i) / Double(sampleRateHz)))
        }
        return encode(pcm)
    }

    /// Two falling tones (a "sorry" chime): what a caller hears before voiced ends a call whose agent
    /// failed.
    public func apologyTone() -> [UInt8] {
        tone(frequencyHz: 660, milliseconds: 180) + tone(frequencyHz: 440, milliseconds: 280)
    }

    /// 16-bit samples in this format: as they are for PCM16, G.711-encoded for μ-law and A-law.
    ///
    /// - Realtime: unsafe (allocates).
    public func encode(_ pcm: [Int16]) -> [UInt8] {
        switch encoding {
        case .mulaw:
            var out = [UInt8](repeating: 0xFF, count: pcm.count)
            vd_ulaw_encode(pcm, &out, pcm.count)
            return out
        case .alaw:
            var out = [UInt8](repeating: 0xD5, count: pcm.count)
            vd_alaw_encode(pcm, &out, pcm.count)
            return out
        default:
            return pcm.withUnsafeBytes { Array($0) }
        }
    }

}
