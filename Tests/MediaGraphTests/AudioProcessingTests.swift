import CAudio
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// webrtc-audio-processing 0.3 behind `vd_apm`, on real speech.
@Suite struct AudioProcessingTests {
    static func speech16k() throws -> [Int16] {
        _ = try TestSpeech.frames() // makes the files if missing
        let wav = try WAVFile(path: TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/speech-16k-pcm.wav").path)
        return stride(from: 0, to: wav.data.count - 1, by: 2).map { Int16(bitPattern: UInt16(wav.data[$0]) | UInt16(wav.data[$0 + 1]) << 8) }
    }

    static func makeAPM(_ configure: (inout vd_apm_config) -> Void) -> OpaquePointer {
        var cfg = vd_apm_config(sample_rate_hz: 16000, echo_cancellation: 0, noise_suppression: 0, gain_control: 0,
                                high_pass: 0, voice_detection: 0)
        configure(&cfg)
        var err: Int32 = 0
        return vd_apm_create(&cfg, &err)!
    }

    static func energy(_ x: ArraySlice<Int16>) -> Double { x.reduce(0.0) { $0 + Double($1) * Double($1) } }

    /// The agent's speech comes back through the phone 80 ms later at −6 dB; the caller is silent.
    /// After two seconds of convergence the canceller must remove at least 20 dB of it.
    @Test func echoCancellationRemovesTwentyDecibels() throws {
        let far = try Self.speech16k()
        let delay = 80 * 16
        let echo: [Int16] = (0..<far.count).map { i in i < delay ? 0 : Int16(Double(far[i - delay]) * 0.5) }
        let apm = Self.makeAPM { $0.echo_cancellation = 1; $0.high_pass = 1 }
        defer { vd_apm_destroy(apm) }
        var out = echo
        var voice: Int32 = 0
        for at in stride(from: 0, to: far.count - 320, by: 320) {
            far[at..<(at + 320)].withUnsafeBufferPointer { #expect(vd_apm_process_reverse(apm, $0.baseAddress!, 320) == VD_OK) }
            out[at..<(at + 320)].withUnsafeMutableBufferPointer { #expect(vd_apm_process(apm, $0.baseAddress!, 320, 80, &voice) == VD_OK) }
        }
        let settled = (2 * 16000)..<(far.count - 320)
        let erle = 10 * log10(Self.energy(echo[settled]) / max(Self.energy(out[settled]), 1))
        print("AEC: echo return loss enhancement \(String(format: "%.1f", erle)) dB after 2 s (80 ms, -6 dB echo of speech)")
        #expect(erle >= 20)
    }

    /// With a silent far end the same canceller must pass the caller's speech through (it cancels
    /// echo, it does not mute).
    @Test func echoCancellationKeepsTheCallersSpeech() throws {
        let caller = try Self.speech16k()
        let silence = [Int16](repeating: 0, count: 320)
        let apm = Self.makeAPM { $0.echo_cancellation = 1; $0.high_pass = 1 }
        defer { vd_apm_destroy(apm) }
        var out = caller
        var voice: Int32 = 0
        for at in stride(from: 0, to: caller.count - 320, by: 320) {
            _ = vd_apm_process_reverse(apm, silence, 320)
            out[at..<(at + 320)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, 320, 80, &voice) }
        }
        let kept = 10 * log10(Self.energy(out[16000..<(caller.count - 320)]) / Self.energy(caller[16000..<(caller.count - 320)]))
        print("AEC with a silent far end: caller speech level \(String(format: "%.1f", kept)) dB")
        #expect(kept > -3)
    }

    /// Speech plus white noise at 10 dB SNR: noise suppression must raise the segmental SNR.
    @Test func noiseSuppressionImprovesSegmentalSNR() throws {
        let clean = try Self.speech16k()
        var rng = SystemRandomNumberGenerator()
        let speechRMS = (Self.energy(clean[...]) / Double(clean.count)).squareRoot()
        let noiseRMS = speechRMS / pow(10, 10.0 / 20)
        let noisy: [Int16] = clean.map { s in
            // Sum of uniforms ≈ Gaussian; variance of U(-1,1) is 1/3, so scale by sqrt(3/4) for 4 terms.
            let g = (0..<4).reduce(0.0) { acc, _ in acc + Double.random(in: -1...1, using: &rng) } * (3.0 / 4).squareRoot()
            return Int16(max(-32768, min(32767, Double(s) + g * noiseRMS)))
        }
        let apm = Self.makeAPM { $0.noise_suppression = 3 }
        defer { vd_apm_destroy(apm) }
        var out = noisy
        var voice: Int32 = 0
        for at in stride(from: 0, to: out.count - 320, by: 320) {
            out[at..<(at + 320)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, 320, 0, &voice) }
        }
        func segmentalSNR(_ x: [Int16], lag: Int) -> Double {
            var total = 0.0, count = 0
            for at in stride(from: 16000, to: clean.count - 320 - lag, by: 320) {
                let s = Self.energy(clean[at..<(at + 320)])
                guard s > 320 * 500 * 500 else { continue } // speech segments only
                var n = 0.0
                for i in at..<(at + 320) { let d = Double(x[i + lag]) - Double(clean[i]); n += d * d }
                total += max(-10, min(35, 10 * log10(s / max(n, 1))))
                count += 1
            }
            return total / Double(max(count, 1))
        }
        let before = segmentalSNR(noisy, lag: 0)
        let after = (0...160).map { segmentalSNR(out, lag: $0) }.max()!
        print("NS: segmental SNR \(String(format: "%.1f", before)) dB → \(String(format: "%.1f", after)) dB (white noise, 10 dB SNR)")
        #expect(after > before + 1)
    }

    /// `apm` on the uplink and `echo-reference` on the downlink share one processor per call.
    @Test func nodesWireIntoAGraphAndRefuseBadPlacements() throws {
        let spec = GraphSpec(name: "aec", uplink: ["mulaw-decode", "resample-16k", "apm"],
                             downlink: ["echo-reference", "resample-8k", "mulaw-encode"])
        let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        #expect(graph.agentFormat == AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
        #expect(graph.nodeTimings.map(\.node) == ["mulaw-decode", "resample-16k", "apm", "echo-reference", "resample-8k", "mulaw-encode"])

        #expect(throws: GraphBuildError.unsupportedFormat(node: "echo-reference", input: .pcm8k,
                                                          expected: "an 'apm' node on the uplink of the same graph")) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode"], downlink: ["echo-reference", "mulaw-encode"]),
                      providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.unsupportedFormat(node: "echo-reference", input: .pcm8k,
                                                          expected: "pcm16 mono at 16000 Hz, the apm node's rate")) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode", "resample-16k", "apm", "resample-8k"],
                                      downlink: ["echo-reference", "mulaw-encode"]), providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.self) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode", "resample-24k", "apm"], downlink: ["resample-8k", "mulaw-encode"]),
                      providerFormat: .telephonyMuLaw)
        }
    }

    /// The same graph on a real media thread: every frame comes back, the caller's speech survives.
    @Test func aecGraphEchoesSpeechOnAMediaThread() async throws {
        let spec = GraphSpec(name: "aec", uplink: ["mulaw-decode", "resample-16k", "apm"],
                             downlink: ["echo-reference", "resample-8k", "mulaw-encode"])
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 1))
        let call = try CallPipeline(callID: 1, spec: spec, providerFormat: .telephonyMuLaw,
                                    doorbell: Doorbell(mediaThreads: 1, callsPerThread: 1))
        try thread.attach(call)
        let speech = Array(try TestSpeech.frames().prefix(150))
        var back: [UInt8] = []
        for frame in speech {
            _ = frame.withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) }
            thread.requestWake()
            try await Task.sleep(for: .milliseconds(1))
            call.doorbell.drain { _, _ in }
            call.acknowledgeWake()
            _ = call.readDownlink { bytes, _ in back += bytes }
        }
        for _ in 0..<200 where back.count < 150 * 160 {
            call.doorbell.drain { _, _ in }
            call.acknowledgeWake()
            _ = call.readDownlink { bytes, _ in back += bytes }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(back.count == 150 * 160)
        let level = { (x: ArraySlice<UInt8>) in x.reduce(0.0) { $0 + pow(Double(vd_ulaw_decode_sample($1)), 2) } }
        let kept = 10 * log10(level(back[8000...]) / level(speech.flatMap { $0 }[8000...]))
        #expect(kept > -10, "speech level after the graph \(kept) dB")
        thread.detach(call)
        thread.stop()
    }

    @Test func rejectsBadConfigurationsAndSizes() {
        var cfg = vd_apm_config(sample_rate_hz: 44100, echo_cancellation: 0, noise_suppression: 0, gain_control: 0, high_pass: 0, voice_detection: 0)
        var err: Int32 = 0
        #expect(vd_apm_create(&cfg, &err) == nil)
        #expect(err == VD_EINVAL)
        let apm = Self.makeAPM { $0.voice_detection = 2 }
        defer { vd_apm_destroy(apm) }
        var samples = [Int16](repeating: 0, count: 150)
        var voice: Int32 = 7
        #expect(vd_apm_process(apm, &samples, 150, 0, &voice) == VD_EINVAL, "not a multiple of 10 ms")
        #expect(vd_apm_process(apm, &samples, 0, 0, &voice) == VD_OK)
    }
}
