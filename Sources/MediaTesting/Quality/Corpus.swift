import Foundation
import MediaGraph

/// The audio-quality corpus scripts/make-corpus writes: callers' speech by several espeak-ng
/// voices with the generator's own sentence timing, agents' monologues, and noise.
///
/// - Threading: a value, read once.
public struct Corpus: Sendable {
    /// One voice: what it says as a caller (with the truth for VAD) and as an agent.
    public struct Voice: Sendable {
        public let name: String
        public let caller: [Int16]
        /// (start, end) of each sentence in ms.
        public let sentences: [(start: Int, end: Int)]
        public let agent: [Int16]
    }

    public let rateHz: Int
    public let voices: [Voice]
    /// Noise by kind (`white`, `brown`, `babble`).
    public let noises: [String: [Int16]]

    /// Loads the corpus at `rateHz` from `directory`, making it first (scripts/make-corpus) when missing.
    public init(directory: URL = TestSpeech.repositoryRoot.appendingPathComponent(".build/corpus"), rateHz: Int = 8000) throws {
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("complete").path) {
            let make = Process()
            make.executableURL = TestSpeech.repositoryRoot.appendingPathComponent("scripts/make-corpus")
            make.arguments = [directory.path]
            try make.run()
            make.waitUntilExit()
            guard make.terminationStatus == 0 else { throw CorpusError.notMade(directory.path) }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        func samples(_ name: String) throws -> [Int16] { try WAVFile(path: directory.appendingPathComponent(name).path).samples() }
        self.rateHz = rateHz
        voices = try files.filter { $0.hasSuffix(".segments") }.sorted().map { file in
            let name = String(file.dropFirst("speech-".count).dropLast(".segments".count))
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let sentences = text.split(separator: "\n").map { line in
                let parts = line.split(separator: " ").map { Double($0)! }
                return (Int(parts[0] * 1000), Int(parts[1] * 1000))
            }
            return Voice(name: name, caller: try samples("speech-\(name)-\(rateHz).wav"), sentences: sentences,
                         agent: try samples("agent-\(name)-\(rateHz).wav"))
        }
        var noises: [String: [Int16]] = [:]
        for kind in ["white", "brown", "babble"] { noises[kind] = try samples("noise-\(kind)-\(rateHz).wav") }
        self.noises = noises
    }

    public enum CorpusError: Error, CustomStringConvertible {
        case notMade(String)
        public var description: String {
            switch self {
            case let .notMade(path): "scripts/make-corpus could not make \(path)"
            }
        }
    }
}

public extension WAVFile {
    /// The samples of a 16-bit PCM mono file.
    func samples() throws -> [Int16] {
        guard formatTag == 1, bitsPerSample == 16, channels == 1 else { throw WAVError.unsupported("not 16-bit PCM mono") }
        return stride(from: 0, to: data.count - 1, by: 2).map { Int16(bitPattern: UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8) }
    }
}
