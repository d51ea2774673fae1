/// An audio format a Realtime session speaks on the wire: G.711 μ-law or A-law at 8 kHz, or 16-bit
/// little-endian PCM (GA: 24 kHz only; Voice Live input 16/24 kHz, output 8/16/24 kHz). Always mono.
///
/// Also holds the small G.711 codec the fake needs: decode by table, encode by the ITU-T G.711
/// segment search. Samples are `Int16`.
///
/// - Threading: a value; any thread.
/// - Ownership: the decode tables are static and immutable.
/// - Realtime: unsafe (the conversions allocate); test and load-generator code only.
struct FakeAudioFormat: Equatable, Sendable {
    enum Encoding: Sendable { case pcmu, pcma, pcm16 }

    var encoding: Encoding
    var sampleRateHz: Int

    static let pcmu = FakeAudioFormat(encoding: .pcmu, sampleRateHz: 8000)
    static let pcma = FakeAudioFormat(encoding: .pcma, sampleRateHz: 8000)
    static func pcm16(_ sampleRateHz: Int) -> FakeAudioFormat { FakeAudioFormat(encoding: .pcm16, sampleRateHz: sampleRateHz) }

    /// Bytes per sample on the wire: 1 for G.711, 2 for PCM16.
    var bytesPerSample: Int { encoding == .pcm16 ? 2 : 1 }
    /// Samples in `ms` milliseconds.
    func samples(ms: Int) -> Int { ms * sampleRateHz / 1000 }
    /// Bytes in `ms` milliseconds.
    func bytes(ms: Int) -> Int { samples(ms: ms) * bytesPerSample }

    /// GA wire shape: `{"type":"audio/pcmu"}`, `{"type":"audio/pcma"}`, `{"type":"audio/pcm","rate":24000}`.
    var gaJSON: FakeJSON {
        switch encoding {
        case .pcmu: ["type": "audio/pcmu"]
        case .pcma: ["type": "audio/pcma"]
        case .pcm16: ["type": "audio/pcm", "rate": .int(sampleRateHz)]
        }
    }

    /// Voice Live output format name: `g711_ulaw`, `g711_alaw`, `pcm16` (24 kHz), `pcm16_8000hz`, `pcm16_16000hz`.
    var voiceLiveOutputName: String {
        switch encoding {
        case .pcmu: "g711_ulaw"
        case .pcma: "g711_alaw"
        case .pcm16: sampleRateHz == 24000 ? "pcm16" : "pcm16_\(sampleRateHz)hz"
        }
    }

    /// Voice Live input format name (the rate travels in `input_audio_sampling_rate`).
    var voiceLiveInputName: String {
        switch encoding {
        case .pcmu: "g711_ulaw"
        case .pcma: "g711_alaw"
        case .pcm16: "pcm16"
        }
    }

    /// Decodes wire bytes to samples, calling `body` once per sample in order. A trailing odd byte
    /// of PCM16 is ignored.
    func forEachSample(in bytes: UnsafeRawBufferPointer, _ body: (Int16) -> Void) {
        switch encoding {
        case .pcmu: for b in bytes { body(Self.muLawTable[Int(b)]) }
        case .pcma: for b in bytes { body(Self.aLawTable[Int(b)]) }
        case .pcm16:
            var i = 0
            while i + 1 < bytes.count {
                body(Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))
                i += 2
            }
        }
    }

    /// Encodes samples to wire bytes.
    func encode(_ samples: [Int16]) -> [UInt8] {
        switch encoding {
        case .pcmu: return samples.map(Self.muLaw)
        case .pcma: return samples.map(Self.aLaw)
        case .pcm16:
            var out = [UInt8]()
            out.reserveCapacity(samples.count * 2)
            for s in samples {
                let u = UInt16(bitPattern: s)
                out.append(UInt8(truncatingIfNeeded: u))
                out.append(UInt8(truncatingIfNeeded: u >> 8))
            }
            return out
        }
    }

    // MARK: G.711

    /// μ-law code → linear sample (ITU-T G.711, the ±8031 scale shifted to 16 bits).
    static let muLawTable: [Int16] = (0...255).map { code in
        let u = ~UInt8(code)
        let exponent = Int(u >> 4 & 0x07)
        let magnitude = ((Int(u & 0x0F) << 3) + 0x84) << exponent - 0x84
        return Int16(u & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// A-law code → linear sample.
    static let aLawTable: [Int16] = (0...255).map { code in
        let a = UInt8(code) ^ 0x55
        var t = Int(a & 0x0F) << 4
        let segment = Int(a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (segment - 1)
        }
        return Int16(a & 0x80 != 0 ? t : -t)
    }

    /// Linear sample → μ-law code (clips at ±32635).
    static func muLaw(_ sample: Int16) -> UInt8 {
        var s = Int(sample)
        let sign: Int = s < 0 ? 0x80 : 0
        if s < 0 { s = -s }
        s = min(s, 32635) + 0x84
        var exponent = 7
        var mask = 0x4000
        while exponent > 0, s & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (s >> (exponent + 3)) & 0x0F
        return ~UInt8(sign | exponent << 4 | mantissa)
    }

    /// Linear sample → A-law code.
    static func aLaw(_ sample: Int16) -> UInt8 {
        var v = Int(sample) >> 3
        let mask: Int
        if v >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            v = -v - 1
        }
        let segmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        guard let segment = segmentEnds.firstIndex(where: { v <= $0 }) else { return UInt8(0x7F ^ mask) }
        var a = segment << 4
        a |= segment < 2 ? (v >> 1) & 0x0F : (v >> segment) & 0x0F
        return UInt8(a ^ mask)
    }
}
