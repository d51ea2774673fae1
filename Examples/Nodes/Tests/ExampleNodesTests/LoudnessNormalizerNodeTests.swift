import ExampleNodes
import Foundation
import MediaGraph
import NodeTestKit
import Testing

/// The loudness normaliser on speech (espeak-ng, scripts/make-test-audio) with brown noise made by
/// sox 20 dB under it: quiet and loud talkers both reach the target, the pauses are not pumped up
/// (the speech-to-noise ratio survives), a target changed mid-call is followed, and nothing is
/// allocated or broken by hostile input.
@Suite struct LoudnessNormalizerNodeTests {
    static let nodes = DTMFDetectorNodeTests.nodes

    /// The test speech at 8 kHz, peak-normalised to `peakDBFS`, with brown noise 20 dB under its RMS.
    static func talker(peakDBFS: Int) throws -> (samples: [Int16], speechFrames: [Bool]) {
        let speech = try TestSignal.sox(inputs: [DTMFDetectorNodeTests.testAudio("speech-16k-pcm.wav")], ["gain", "-n", "\(peakDBFS)"])
        let noise = try TestSignal.sox(["synth", "\(Double(speech.count) / 8000)", "brownnoise"])
        let quieter = TestSignal.gain(noise, decibels: TestSignal.dBFS(speech) - 20 - TestSignal.dBFS(noise))
        // Speech frames: inside a sentence by the generator's own timing, and well above the noise.
        let sentences = try String(contentsOfFile: DTMFDetectorNodeTests.testAudio("speech-segments.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map { Double($0)! } }
        let frames = speech.count / 160
        let speechFrames = (0..<frames).map { f in
            let t = Double(f) * 0.02 + 0.01
            return sentences.contains { t >= $0[0] && t < $0[1] } && TestSignal.dBFS(speech[f * 160..<(f + 1) * 160]) > TestSignal.dBFS(speech) - 10
        }
        return (TestSignal.mix(speech, quieter), speechFrames)
    }

    /// Mean frame level (dB) over the frames `selected` picks, from the third second on.
    static func level(_ samples: [Int16], frames selected: [Bool], fromSecond: Double = 2) -> Double {
        let picked = selected.indices.filter { selected[$0] && Double($0) * 0.02 >= fromSecond && ($0 + 1) * 160 <= samples.count }
        return picked.map { TestSignal.dBFS(samples[$0 * 160..<($0 + 1) * 160]) }.reduce(0, +) / Double(picked.count)
    }

    /// Pauses: frames more than 200 ms from any speech frame.
    static func pauses(_ speechFrames: [Bool]) -> [Bool] {
        speechFrames.indices.map { f in !speechFrames[max(0, f - 10)...min(speechFrames.count - 1, f + 10)].contains(true) }
    }

    /// Peaks at −20 and −1 dBFS: speech frames at about −40 and −21 dBFS, 14 dB under and 5 dB over
    /// the target.
    @Test(arguments: [-20, -1])
    func aQuietAndALoudTalkerReachTheTarget(peakDBFS: Int) throws {
        let (input, speechFrames) = try Self.talker(peakDBFS: peakDBFS)
        let run = try NodeHarness("normalize(target-dbfs=-26)", nodes: Self.nodes).process(input)
        let before = Self.level(input, frames: speechFrames), after = Self.level(run.samples, frames: speechFrames, fromSecond: 4)
        #expect(abs(before - -26) > 4, "the input is not already at the target")
        #expect(abs(after - -26) < 2, "speech frames at \(after) dBFS (input \(before))")
        // The pauses keep their distance under the speech: the gain is not pumped up between words.
        let pauses = Self.pauses(speechFrames)
        let snrIn = before - Self.level(input, frames: pauses), snrOut = Self.level(run.samples, frames: speechFrames) - Self.level(run.samples, frames: pauses)
        #expect(abs(snrOut - snrIn) < 2, "speech over pauses \(snrIn) dB in, \(snrOut) dB out")
        if let allocations = run.allocations { #expect(allocations == 0) }
    }

    @Test func aTargetChangedMidCallIsFollowed() throws {
        let (input, speechFrames) = try Self.talker(peakDBFS: -20)
        let harness = try NodeHarness("normalize(target-dbfs=-26)", nodes: Self.nodes)
        let half = input.count / 2 / 160 * 160
        let first = harness.process(Array(input[..<half]))
        harness.control(.setting(NodeSetting(node: "normalize", key: "target-dbfs", value: -34)!))
        let second = harness.process(Array(input[half...]))
        let firstLevel = Self.level(first.samples, frames: Array(speechFrames[..<(half / 160)]), fromSecond: 4)
        let secondLevel = Self.level(second.samples, frames: Array(speechFrames[(half / 160)...]), fromSecond: 3)
        #expect(abs(firstLevel - -26) < 2, "\(firstLevel)")
        #expect(abs(secondLevel - -34) < 2, "\(secondLevel)")
    }

    @Test func hostileInputKeepsWholeFramesAndAllocatesNothing() throws {
        let harness = try NodeHarness("normalize", nodes: Self.nodes)
        for report in harness.hostileInputs() {
            #expect(report.framesWhole, "\(report.input)")
            if let allocations = report.run.allocations { #expect(allocations == 0, "\(report.input)") }
        }
        // Digital silence stays silence: no gain makes something of nothing.
        #expect(try NodeHarness("normalize", nodes: Self.nodes).process(TestSignal.silence(16000)).samples.allSatisfy { $0 == 0 })
    }
}
