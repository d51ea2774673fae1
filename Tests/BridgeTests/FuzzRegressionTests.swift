import Foundation
import Testing
import VoicedFuzzTargets
import VoicedTesting

/// Every libFuzzer target (Sources/VoicedFuzzTargets) over its committed corpus (Fuzz/Corpus/NAME:
/// real messages as seeds, and every input a fuzzing run once crashed on): each must return. Run
/// under AddressSanitizer too (scripts/test), where a read past a buffer fails the run.
@Suite(.enabled(if: !FuzzTarget.all.isEmpty, "the fuzz targets exist in debug builds only"))
struct FuzzRegressionTests {
    static let corpus = TestSpeech.repositoryRoot.appendingPathComponent("Fuzz/Corpus")

    @Test func everyTargetHasACorpus() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(folders == FuzzTarget.all.map(\.name).sorted())
    }

    @Test(arguments: FuzzTarget.all.map(\.name))
    func everyCorpusInputReturns(target name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let folder = Self.corpus.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            data.withUnsafeBytes { target.run($0) }
            // About 64 prefixes too: a message cut short anywhere along it.
            for cut in stride(from: 0, to: data.count, by: max(1, data.count / 64)) {
                data.prefix(cut).withUnsafeBytes { target.run($0) }
            }
        }
    }
}
