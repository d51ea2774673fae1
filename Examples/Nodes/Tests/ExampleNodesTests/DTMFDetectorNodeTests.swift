import ExampleNodes
import Foundation
import MediaGraph
import NodeTestKit
import Testing

/// The DTMF detector against key presses made by sox: every key of the pad through μ-law as a
/// phone line carries it, in noise, held and repeated; nothing heard in speech alone or in hostile
/// input; no allocation while it runs.
@Suite struct DTMFDetectorNodeTests {
    static let pad: [(key: String, row: Int, column: Int)] = [
        ("1", 697, 1209), ("2", 697, 1336), ("3", 697, 1477), ("A", 697, 1633),
        ("4", 770, 1209), ("5", 770, 1336), ("6", 770, 1477), ("B", 770, 1633),
        ("7", 852, 1209), ("8", 852, 1336), ("9", 852, 1477), ("C", 852, 1633),
        ("*", 941, 1209), ("0", 941, 1336), ("#", 941, 1477), ("D", 941, 1633),
    ]

    /// `keys` pressed for `toneSeconds` each, `gapSeconds` apart, made by sox at 8 kHz (the pair
    /// normalised to −7 dBFS): the samples and the ms each press starts at.
    static func presses(_ keys: [String], toneSeconds: Double = 0.1, gapSeconds: Double = 0.1) throws -> ([Int16], [UInt64]) {
        var samples: [Int16] = []
        var starts: [UInt64] = []
        for key in keys {
            let tone = pad.first { $0.key == key }!
            samples += TestSignal.silence(Int(gapSeconds * 8000))
            starts.append(UInt64(samples.count / 8))
            samples += try TestSignal.sox(["synth", "\(toneSeconds)", "sine", "\(tone.row)", "sine", "\(tone.column)",
                                           "remix", "-", "gain", "-n", "-7"])
        }
        return (samples + TestSignal.silence(Int(gapSeconds * 8000)), starts)
    }

    static let nodes = try! NodeCatalog.builtIn.adding(ExampleNodes.catalog)

    static func digits(_ run: NodeHarness.Run) -> [String] { run.nodeEvents("dtmf").map(\.detail.description) }

    @Test func everyKeyOfThePadIsHeardOnceAtItsTimeThroughMuLaw() throws {
        let keys = Self.pad.map(\.key)
        let (samples, starts) = try Self.presses(keys)
        let harness = try NodeHarness("dtmf", input: .telephonyMuLaw, nodes: Self.nodes)
        let run = TestSignal.muLaw(samples).withUnsafeBytes { harness.process(bytes: $0) }
        let heard = run.nodeEvents("dtmf")
        #expect(Self.digits(run) == keys)
        for (event, start) in zip(heard, starts) {
            // Stamped at the first frame holding the press (frames are 20 ms).
            #expect(event.mediaMs <= start && start < event.mediaMs + 20, "\(event) for a press at \(start) ms")
            // Two sines peaking together at −7 dBFS: each at −13 dBFS peak, −16 RMS; the pair −13 dBFS RMS.
            #expect(abs(event.value - -13) < 1.5, "level \(event.value) dBFS")
        }
        if let allocations = run.allocations { #expect(allocations == 0) }
    }

    @Test func keysAreHeardInNoiseAtFifteenDecibels() throws {
        let keys = ["4", "7", "1", "#", "0", "*", "9", "D"]
        let (tones, _) = try Self.presses(keys, toneSeconds: 0.08)
        let noise = try TestSignal.sox(["synth", "\(Double(tones.count) / 8000)", "brownnoise", "gain", "-n", "-22"])
        let run = try NodeHarness("dtmf", nodes: Self.nodes).process(TestSignal.mix(tones, noise))
        #expect(Self.digits(run) == keys)
    }

    @Test func aHeldKeyCountsOnceAndARepeatedKeyTwice() throws {
        let (held, _) = try Self.presses(["5"], toneSeconds: 1.5)
        #expect(Self.digits(try NodeHarness("dtmf", nodes: Self.nodes).process(held)) == ["5"])
        let (repeated, _) = try Self.presses(["5", "5", "5"], toneSeconds: 0.06, gapSeconds: 0.06)
        #expect(Self.digits(try NodeHarness("dtmf", nodes: Self.nodes).process(repeated)) == ["5", "5", "5"])
        // Shorter than two frames: a click, not a press.
        let (blip, _) = try Self.presses(["5"], toneSeconds: 0.015)
        #expect(Self.digits(try NodeHarness("dtmf", nodes: Self.nodes).process(blip)).isEmpty)
    }

    /// Speech alone — the test speech as Twilio sends it (μ-law) and at 16 kHz — holds no key press.
    @Test func speechAloneRaisesNoKey() throws {
        let narrow = try NodeHarness("dtmf", input: .telephonyMuLaw, nodes: Self.nodes).process(wav: Self.testAudio("speech-8k-mulaw.wav"))
        #expect(narrow.frames > 800)
        #expect(Self.digits(narrow).isEmpty)
        let wide = try NodeHarness("dtmf", input: AudioFormat(encoding: .pcm16, sampleRateHz: 16000), nodes: Self.nodes)
            .process(wav: Self.testAudio("speech-16k-pcm.wav"))
        #expect(Self.digits(wide).isEmpty)
        #expect(throws: TestSignal.SoxError.self) { try NodeHarness("dtmf", nodes: Self.nodes).process(wav: Self.testAudio("speech-16k-pcm.wav")) }
    }

    @Test func hostileInputRaisesNothingAndAllocatesNothing() throws {
        let harness = try NodeHarness("dtmf", nodes: Self.nodes)
        for report in harness.hostileInputs() {
            #expect(report.framesWhole, "\(report.input)")
            #expect(report.run.events.isEmpty, "\(report.input): \(report.run.events)")
            if let allocations = report.run.allocations { #expect(allocations == 0, "\(report.input)") }
        }
    }

    @Test func settingsAreCheckedAndFormatsNegotiated() throws {
        #expect(throws: GraphBuildError.badParameter(node: "dtmf", parameter: "min-tone-percent", value: "5", expected: "an integer from 30 to 99")) {
            try NodeHarness("dtmf(min-tone-percent=5)", nodes: Self.nodes)
        }
        #expect(throws: GraphBuildError.unknownParameter(node: "dtmf", parameter: "treshold")) {
            try NodeHarness("dtmf(treshold=3)", nodes: Self.nodes)
        }
        #expect(try NodeHarness.negotiate("dtmf", input: .pcm8k, nodes: Self.nodes).get() == .pcm8k)
        let wide = AudioFormat(encoding: .pcm16, sampleRateHz: 16000)
        #expect(try NodeHarness.negotiate("dtmf", input: wide, nodes: Self.nodes).get() == wide)
        guard case .failure(.unsupportedFormat) = NodeHarness.negotiate("dtmf", input: .telephonyMuLaw, nodes: Self.nodes) else {
            Issue.record("the detector took μ-law bytes")
            return
        }
    }

    /// A file scripts/make-test-audio made (the test run makes them first).
    static func testAudio(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("TestAudio/\(name)").path
    }
}
