import Foundation
import MediaGraph

/// The speech scripts/make-test-audio makes, as 20 ms μ-law frames.
public enum TestSpeech {
    /// The repository root (where Package.swift is), found from this file's path.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Every frame of TestAudio/speech-8k-mulaw.wav, making it first if it is missing.
    public static func frames() throws -> [[UInt8]] {
        let path = repositoryRoot.appendingPathComponent("TestAudio/speech-8k-mulaw.wav").path
        if !FileManager.default.fileExists(atPath: path) {
            let make = Process()
            make.executableURL = repositoryRoot.appendingPathComponent("scripts/make-test-audio")
            try make.run()
            make.waitUntilExit()
        }
        return try WAVFile(path: path).muLawFrames()
    }

    /// (start, end) of each sentence in ms, from TestAudio/speech-segments.txt (the generator's own
    /// timing: the truth for VAD and turn tests).
    public static func sentences() throws -> [(start: Int, end: Int)] {
        _ = try frames()
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("TestAudio/speech-segments.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ").map { Double($0)! }
            return (Int(parts[0] * 1000), Int(parts[1] * 1000))
        }
    }

    /// What an echo of `frames` returns: the bytes themselves, except μ-law negative zero (0x7F),
    /// which G.711 decode → encode turns into 0xFF (shared/protocols.md §6.2).
    public static func echoed(_ frames: [[UInt8]]) -> [UInt8] {
        frames.flatMap { $0 }.map { $0 == 0x7F ? 0xFF : $0 }
    }
}
