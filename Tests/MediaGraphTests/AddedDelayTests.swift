import MediaGraph
import Testing
import MediaTesting

/// What each preset delays the audio by, found by cross-correlating speech in and out of each
/// direction (docs/graphs.md states the same figures): webrtc's echo canceller 14 ms and noise
/// suppression 6 ms on the uplink at 8 kHz; resampling adds its filters' delay.
@Suite struct AddedDelayTests {
    @Test(arguments: [("passthrough", 0.0, 0.0), ("standard", 20.0, 0.0), ("full", 20.0, 0.0), ("wideband", 25.0, 12.0), ("neural", 14.0, 0.0)])
    func eachPresetAddsWhatItsDocsSay(preset: String, uplinkMs: Double, downlinkMs: Double) throws {
        let delay = try AddedDelayMeasurement(spec: GraphSpec.named(preset), speech: AudioProcessingTests.speech(rateHz: 8000))
        print("\(preset): uplink \(delay.uplinkMs) ms, downlink \(delay.downlinkMs) ms")
        #expect(delay.uplinkMs == uplinkMs)
        #expect(delay.downlinkMs == downlinkMs)
    }

    /// What a setting removes: without noise suppression 6 ms, without echo cancellation 14 more.
    @Test func settingsThatRemoveDelay() throws {
        let speech = try AudioProcessingTests.speech(rateHz: 8000)
        func uplink(_ apm: String) throws -> Double {
            try AddedDelayMeasurement(spec: GraphSpec(name: "x", uplink: ["mulaw-decode", NodeSpec(parsing: apm)], downlink: []), speech: speech).uplinkMs
        }
        #expect(try uplink("apm(ns=off)") == 14)
        #expect(try uplink("apm(aec=off)") == 6)
        #expect(try uplink("apm(aec=off, ns=off)") == 0)
    }
}
