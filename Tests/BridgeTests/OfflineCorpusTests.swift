import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// `voiced process` over a corpus, run as a researcher runs it: a folder of WAV files in, JSON
/// Lines of events and per-node time out; a file that cannot be read is reported after the rest ran.
@Suite struct OfflineCorpusTests {
    /// A folder holding the test speech at 8 kHz μ-law and 16 kHz PCM (scripts/make-test-audio).
    static func corpus() throws -> String {
        _ = try TestSpeech.frames()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-corpus-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["speech-8k-mulaw.wav", "speech-16k-pcm.wav"] {
            try FileManager.default.copyItem(atPath: TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/\(name)").path,
                                             toPath: "\(folder)/\(name)")
        }
        return folder
    }

    static func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    /// The VAD's events over the corpus against the speech generator's own timing, per file: one
    /// span per sentence, onsets within a frame of docs/graphs.md's 19 ms, ≥ 97 % of frames right
    /// (docs/graphs.md, the `vad` row) — at 8 kHz μ-law and at 16 kHz PCM alike.
    @Test func vadEventsOverACorpusMatchTheSpeechTiming() throws {
        let folder = try Self.corpus()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try VoicedBinary.run(["process", "--input", folder, "--graph", "vad; ", "--jsonl", "-"])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try Self.lines(result.output)
        let sentences = try TestSpeech.sentences()
        for file in ["speech-16k-pcm.wav", "speech-8k-mulaw.wav"] {
            let mine = lines.filter { ($0["file"] as? String)?.hasSuffix(file) == true }
            let starts = mine.filter { $0["type"] as? String == "speech_started" }.map { $0["media_ms"] as! Int }
            let stops = mine.filter { $0["type"] as? String == "speech_stopped" }.map { $0["media_ms"] as! Int }
            #expect(starts.count == sentences.count && stops.count == sentences.count, "\(file): \(starts) / \(stops)")
            for (start, sentence) in zip(starts, sentences) {
                #expect(abs(start - sentence.start) <= 20, "\(file): onset \(start) ms for a sentence at \(sentence.start) ms")
            }
            let summary = try #require(mine.first { $0["type"] as? String == "file" })
            let frames = summary["frames"] as! Int
            let detected = (0..<frames).map { f in zip(starts, stops).contains { f * 20 + 10 >= $0 && f * 20 + 10 < $1 } }
            let truth = (0..<frames).map { f in sentences.contains { f * 20 + 10 >= $0.start && f * 20 + 10 < $0.end } }
            let right = Double(zip(truth, detected).filter { $0 == $1 }.count) / Double(frames)
            #expect(right >= 0.97, "\(file): \(right) of frames right")
            let nodes = (summary["nodes"] as! [[String: Any]]).map { $0["node"] as! String }
            #expect(nodes.contains("uplink.vad"))
            #expect((summary["nodes"] as! [[String: Any]]).allSatisfy { ($0["p99_ns"] as! Int) >= ($0["p50_ns"] as! Int) })
        }
        let total = try #require(lines.last)
        #expect(total["type"] as? String == "total" && total["files"] as? Int == 2 && total["failed"] as? Int == 0)
    }

    /// An unreadable and an unsupported file are named with their reason, the others still run, and
    /// the exit status says something failed.
    @Test func aBadFileIsReportedAfterTheRestRan() throws {
        let folder = try Self.corpus()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("not a wave".utf8).write(to: URL(fileURLWithPath: "\(folder)/a-broken.wav"))
        let list = "\(folder)/list.txt"
        // A broken file first: the good ones after it still run.
        try "# one broken, two good, one missing\na-broken.wav\nspeech-8k-mulaw.wav\nspeech-16k-pcm.wav\nmissing.wav\n".write(toFile: list, atomically: true, encoding: .utf8)
        let out = "\(folder)/out"
        let result = try VoicedBinary.run(["process", "--input", list, "--graph", "vad; ", "--jsonl", "\(folder)/events.jsonl", "--output-dir", out])
        #expect(result.status == 1)
        #expect(result.errors.contains("missing.wav") && result.errors.contains("a-broken.wav"), "\(result.errors)")
        #expect(result.errors.contains("2 of 4 files could not be processed"), "\(result.errors)")
        let lines = try Self.lines(String(contentsOfFile: "\(folder)/events.jsonl", encoding: .utf8))
        #expect(lines.filter { $0["type"] as? String == "error" }.count == 2)
        #expect(lines.filter { $0["type"] as? String == "file" }.count == 2)
        // What the agent heard of each good file, as a WAV of its own.
        #expect(try WAVFile(path: "\(out)/speech-8k-mulaw.wav").data.count > 100_000)
        #expect(FileManager.default.fileExists(atPath: "\(out)/speech-16k-pcm.wav"))
    }
}
