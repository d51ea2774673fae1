import CAudio
import Foundation
import MediaGraph

/// Test audio for a node's tests: signals made by sox (tones, noise, speech files mixed), levels
/// in dBFS, and the hostile inputs every node must survive.
///
/// - Threading: plain functions; any thread (sox runs as a child process).
public enum TestSignal {
    public struct SoxError: Error, CustomStringConvertible {
        public let description: String
    }

    /// 16-bit mono samples at `rateHz` from `sox -n -r RATE -c 1 -b 16 OUT.wav <effects>`, e.g.
    /// `["synth", "0.1", "sine", "697", "sine", "1209", "remix", "-"]`. Throws when sox is missing
    /// or refuses the arguments (its message in the error).
    public static func sox(_ effects: [String], rateHz: Int = 8000) throws -> [Int16] {
        try sox(inputs: ["-n"], effects, rateHz: rateHz)
    }

    /// 16-bit mono samples at `rateHz` from `sox INPUTS… -r RATE -c 1 -b 16 OUT.wav <effects>`:
    /// e.g. `inputs: ["-m", "speech.wav", "noise.wav"]` mixes two files.
    public static func sox(inputs: [String], _ effects: [String] = [], rateHz: Int = 8000) throws -> [Int16] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-signal-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sox"] + inputs + ["-r", "\(rateHz)", "-c", "1", "-b", "16", "-e", "signed-integer", out] + effects
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SoxError(description: "sox \(process.arguments!.dropFirst().joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
        return try samples(wav: out)
    }

    /// A 16-bit PCM WAV file's samples (mono).
    public static func samples(wav path: String) throws -> [Int16] {
        let file = try WAVFile(path: path)
        guard file.formatTag == 1, file.bitsPerSample == 16, file.channels == 1 else {
            throw SoxError(description: "\(path): not 16-bit mono PCM")
        }
        return file.data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }

    /// `count` samples of silence.
    public static func silence(_ count: Int) -> [Int16] { Array(repeating: 0, count: count) }

    /// RMS level in dBFS (full scale = 32767); −∞ for silence.
    public static func dBFS<C: Collection>(_ samples: C) -> Double where C.Element == Int16 {
        guard !samples.isEmpty else { return -.infinity }
        let energy = samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)
        return 10 * log10(energy / (32767.0 * 32767.0))
    }

    /// `samples` scaled by `decibels` (saturating at full scale).
    public static func gain(_ samples: [Int16], decibels: Double) -> [Int16] {
        let factor = pow(10, decibels / 20)
        return samples.map { Int16(max(-32768, min(32767, (Double($0) * factor).rounded()))) }
    }

    /// The sum of two signals, sample by sample (saturating), as long as the longer.
    public static func mix(_ a: [Int16], _ b: [Int16]) -> [Int16] {
        (0..<max(a.count, b.count)).map { i in
            let sum = Int(i < a.count ? a[i] : 0) + Int(i < b.count ? b[i] : 0)
            return Int16(max(-32768, min(32767, sum)))
        }
    }

    /// What no node may choke on: every one, `seconds` long at `rateHz`.
    public enum Hostile: String, CaseIterable, Sendable {
        /// Uniform white noise at full scale (every sample anywhere in ±32767).
        case fullScaleNoise = "full-scale noise"
        /// A 1 kHz square wave clipped at full scale (±32767/−32768).
        case clippedSquare = "clipped square"
        /// Digital silence (all zeros).
        case silence
        /// A constant offset at half scale (a broken DC-coupled input).
        case offset = "DC offset"

        public func samples(seconds: Double = 2, rateHz: Int = 8000) -> [Int16] {
            let count = Int(seconds * Double(rateHz))
            switch self {
            case .fullScaleNoise:
                var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                return (0..<count).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Int16(truncatingIfNeeded: state >> 48)
                }
            case .clippedSquare:
                let half = max(1, rateHz / 2000)
                return (0..<count).map { ($0 / half) % 2 == 0 ? .max : .min }
            case .silence: return TestSignal.silence(count)
            case .offset: return Array(repeating: 16384, count: count)
            }
        }
    }
}

extension TestSignal {
    /// `samples` encoded as G.711 μ-law (what Twilio carries), for a harness whose input is
    /// ``AudioFormat/telephonyMuLaw``.
    public static func muLaw(_ samples: [Int16]) -> [UInt8] { samples.map { vd_ulaw_encode_sample($0) } }

    /// `samples` encoded as G.711 A-law.
    public static func aLaw(_ samples: [Int16]) -> [UInt8] { samples.map { vd_alaw_encode_sample($0) } }
}
