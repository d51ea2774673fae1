import CAudio
import Testing

/// Every vector of shared/protocols.md §6.
@Suite struct G711Tests {
    @Test func muLawDecodeVectors() {
        let vectors: [(UInt8, Int16)] = [(0xFF, 0), (0x7F, 0), (0x80, 32124), (0x00, -32124), (0x0F, -16764), (0xA9, 5628), (0xA0, 7932)]
        for (byte, sample) in vectors { #expect(vd_ulaw_decode_sample(byte) == sample, "decode \(byte)") }
    }

    @Test func muLawEncodeVectors() {
        let vectors: [(Int16, UInt8)] = [(0, 0xFF), (1000, 0xCE), (-1000, 0x4E), (32767, 0x80), (-32768, 0x00)]
        for (sample, byte) in vectors { #expect(vd_ulaw_encode_sample(sample) == byte, "encode \(sample)") }
    }

    static let sine: [Int16] = [0, 5657, 8000, 5657, 0, -5657, -8000, -5657]

    @Test func muLawSineAndBufferForm() {
        var out = [UInt8](repeating: 0, count: 8)
        vd_ulaw_encode(Self.sine, &out, 8)
        #expect(out == [0xFF, 0xA9, 0xA0, 0xA9, 0xFF, 0x29, 0x20, 0x29])
        var back = [Int16](repeating: 1, count: 8)
        vd_ulaw_decode(out, &back, 8)
        #expect(back == out.map(vd_ulaw_decode_sample))
    }

    /// The decode table equals the §6.2 formula for all 256 bytes.
    @Test func muLawTableMatchesFormula() {
        for byte in 0...255 {
            let u = ~byte & 0xFF
            let e = (u >> 4) & 7, m = u & 0x0F
            var v = ((m << 3) + 0x84) << e
            v -= 0x84
            #expect(Int(vd_ulaw_decode_sample(UInt8(byte))) == ((u & 0x80) != 0 ? -v : v), "byte \(byte)")
        }
    }

    @Test func muLawRoundTripIsIdentityExceptNegativeZero() {
        for byte in 0...255 {
            let again = vd_ulaw_encode_sample(vd_ulaw_decode_sample(UInt8(byte)))
            #expect(again == (byte == 0x7F ? 0xFF : UInt8(byte)), "byte \(byte)")
        }
    }

    @Test func muLawSilenceIs0xFF() {
        var out = [UInt8](repeating: 0, count: 160)
        vd_ulaw_encode([Int16](repeating: 0, count: 160), &out, 160)
        #expect(out.allSatisfy { $0 == 0xFF })
    }

    @Test func aLawVectors() {
        let vectors: [(Int16, UInt8)] = [(0, 0xD5), (-1, 0x55), (32767, 0xAA), (-32768, 0x2A)]
        for (sample, byte) in vectors { #expect(vd_alaw_encode_sample(sample) == byte, "encode \(sample)") }
        var out = [UInt8](repeating: 0, count: 8)
        vd_alaw_encode(Self.sine, &out, 8)
        #expect(out == [0xD5, 0x83, 0x8A, 0x83, 0xD5, 0x03, 0x0A, 0x03])
        #expect(vd_alaw_decode_sample(0xD5) == 8)
        #expect(vd_alaw_decode_sample(0x55) == -8)
    }

    @Test func aLawTableMatchesFormulaAndRoundTrips() {
        for byte in 0...255 {
            let a = byte ^ 0x55
            let m = a & 0x0F, seg = (a & 0x70) >> 4
            let v = seg != 0 ? ((2 * m + 33) << (seg + 2)) : ((2 * m + 1) << 3)
            #expect(Int(vd_alaw_decode_sample(UInt8(byte))) == ((a & 0x80) != 0 ? v : -v), "byte \(byte)")
            #expect(vd_alaw_encode_sample(vd_alaw_decode_sample(UInt8(byte))) == UInt8(byte), "round trip \(byte)")
        }
    }

    /// Encode error stays within half a quantisation step of the decoded value's segment.
    @Test func muLawEncodeErrorIsBounded() {
        for sample in stride(from: -32768, through: 32767, by: 7) {
            let decoded = Int(vd_ulaw_decode_sample(vd_ulaw_encode_sample(Int16(sample))))
            let clipped = max(-32124, min(32124, sample))
            let step = max(8, abs(clipped) / 16)
            #expect(abs(decoded - clipped) <= step, "sample \(sample) → \(decoded)")
        }
    }
}
