import Foundation

/// Reads the audio of a RIFF/WAVE file: μ-law (format 7) or 16-bit PCM (format 1), mono.
///
/// - Threading: a value; any thread.
public struct WAVFile: Sendable {
    public enum WAVError: Error, CustomStringConvertible {
        case notWAV(String), unsupported(String)
        public var description: String {
            switch self {
            case let .notWAV(path): "\(path) is not a RIFF/WAVE file"
            case let .unsupported(what): "unsupported WAV: \(what) (need mono μ-law or 16-bit PCM)"
            }
        }
    }

    /// 7 = μ-law, 1 = PCM.
    public let formatTag: Int
    public let sampleRateHz: Int
    public let channels: Int
    public let bitsPerSample: Int
    /// The `data` chunk.
    public let data: [UInt8]

    public init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw WAVError.notWAV(path)
        }
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var data: [UInt8]?
        var i = 12
        while i + 8 <= bytes.count {
            let size = u32(i + 4)
            let body = i + 8
            let end = min(body + size, bytes.count)
            if bytes[i..<(i + 4)].elementsEqual("fmt ".utf8), size >= 16 {
                format = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14))
            } else if bytes[i..<(i + 4)].elementsEqual("data".utf8) {
                data = Array(bytes[body..<end])
            }
            i = body + size + (size & 1)
        }
        guard let format, let data else { throw WAVError.notWAV(path) }
        guard format.channels == 1, (format.tag == 7 && format.bits == 8) || (format.tag == 1 && format.bits == 16) else {
            throw WAVError.unsupported("format \(format.tag), \(format.channels) channels, \(format.bits) bits")
        }
        formatTag = format.tag
        channels = format.channels
        sampleRateHz = format.rate
        bitsPerSample = format.bits
        self.data = data
    }

    /// The audio as 20 ms μ-law frames at 8 kHz (a short tail is dropped). Throws for other formats.
    public func muLawFrames() throws -> [[UInt8]] {
        guard formatTag == 7, sampleRateHz == 8000 else { throw WAVError.unsupported("need μ-law 8 kHz for frames") }
        return stride(from: 0, to: data.count - 159, by: 160).map { Array(data[$0..<($0 + 160)]) }
    }
}

extension WAVFile {
    /// Writes mono `data` as a WAV file: μ-law (format 7, 8 bits) or 16-bit little-endian PCM (format 1).
    public static func write(path: String, formatTag: Int, sampleRateHz: Int, data: [UInt8]) throws {
        let bits = formatTag == 7 ? 8 : 16
        var out = [UInt8]()
        func u32(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        func u16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        out += Array("RIFF".utf8); u32(36 + data.count); out += Array("WAVEfmt ".utf8)
        u32(16); u16(formatTag); u16(1); u32(sampleRateHz); u32(sampleRateHz * bits / 8); u16(bits / 8); u16(bits)
        out += Array("data".utf8); u32(data.count)
        out += data
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}
