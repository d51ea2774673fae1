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

    /// The test speech at `rateHz`: the 16 kHz recording, or at 8 kHz the μ-law file decoded, as a
    /// telephone call delivers it.
    static func speech(rateHz: Int) throws -> [Int16] {
        if rateHz == 16000 { return try speech16k() }
        return try TestSpeech.frames().flatMap { $0 }.map { vd_ulaw_decode_sample($0) }
    }

    static func makeAPM(rateHz: Int = 16000, _ configure: (inout vd_apm_config) -> Void) -> OpaquePointer {
        var cfg = vd_apm_config(sample_rate_hz: Int32(rateHz), echo_cancellation: 0, delay_agnostic: 0, noise_suppression: 0, gain_control: 0,
                                high_pass: 0, voice_detection: 0)
        configure(&cfg)
        var err: Int32 = 0
        return vd_apm_create(&cfg, &err)!
    }

    static func energy(_ x: ArraySlice<Int16>) -> Double { x.reduce(0.0) { $0 + Double($1) * Double($1) } }

    /// The agent's speech comes back through the phone 40–120 ms later at −6 dB; the caller is
    /// silent. As the presets run it: `standard` at 8 kHz trusts the default 60 ms delay (not the
    /// true one), `wideband` at 16 kHz finds the delay itself. After two seconds of convergence the
    /// canceller must remove at least 20 dB of the echo.
    @Test(arguments: [(8000, 40), (8000, 80), (8000, 120), (16000, 40), (16000, 80), (16000, 120)])
    func echoCancellationRemovesTwentyDecibels(rateHz: Int, delayMs: Int) throws {
        let trusted = rateHz == 8000 ? AudioProcessor.Settings().echoDelayMs : nil
        #expect(try Self.erle(rateHz: rateHz, delayMs: delayMs, trusted: trusted) >= 20)
    }

    /// Longer echo paths: `aec-delay=auto` finds 200 ms at 8 kHz, or a known delay can be given.
    @Test func longerEchoPathsNeedAutoOrTheirDelay() throws {
        #expect(try Self.erle(rateHz: 8000, delayMs: 200, trusted: nil) >= 20)
        #expect(try Self.erle(rateHz: 8000, delayMs: 200, trusted: 200) >= 20)
        #expect(try Self.erle(rateHz: 16000, delayMs: 120, trusted: 120) >= 20)
        #expect(try Self.erle(rateHz: 8000, delayMs: 200, trusted: 60) < 20, "the default 60 ms does not reach 200 ms")
    }

    /// Echo return loss enhancement (dB) on the settled part of an echo-only call.
    static func erle(rateHz: Int, delayMs: Int, trusted: Int32?) throws -> Double {
        let far = try Self.speech(rateHz: rateHz)
        let frame = rateHz / 50
        let delay = delayMs * rateHz / 1000
        let echo: [Int16] = (0..<far.count).map { i in i < delay ? 0 : Int16(Double(far[i - delay]) * 0.5) }
        let apm = Self.makeAPM(rateHz: rateHz) { $0.echo_cancellation = 1; $0.high_pass = 1; $0.delay_agnostic = trusted == nil ? 1 : 0 }
        defer { vd_apm_destroy(apm) }
        var out = echo
        var voice: Int32 = 0
        for at in stride(from: 0, to: far.count - frame, by: frame) {
            far[at..<(at + frame)].withUnsafeBufferPointer { #expect(vd_apm_process_reverse(apm, $0.baseAddress!, frame) == VD_OK) }
            out[at..<(at + frame)].withUnsafeMutableBufferPointer { #expect(vd_apm_process(apm, $0.baseAddress!, frame, trusted ?? 0, &voice) == VD_OK) }
        }
        let settled = (2 * rateHz)..<(far.count - frame)
        let erle = 10 * log10(Self.energy(echo[settled]) / max(Self.energy(out[settled]), 1))
        print("AEC at \(rateHz) Hz: ERLE \(String(format: "%.1f", erle)) dB after 2 s (\(delayMs) ms, -6 dB echo of speech; delay \(trusted.map { "trusted \($0) ms" } ?? "found"))")
        return erle
    }

    /// With a silent far end the same canceller must pass the caller's speech through (it cancels
    /// echo, it does not mute).
    @Test(arguments: [8000, 16000]) func echoCancellationKeepsTheCallersSpeech(rateHz: Int) throws {
        let caller = try Self.speech(rateHz: rateHz)
        let frame = rateHz / 50
        let silence = [Int16](repeating: 0, count: frame)
        let apm = Self.makeAPM(rateHz: rateHz) { $0.echo_cancellation = 1; $0.high_pass = 1; $0.delay_agnostic = 1 }
        defer { vd_apm_destroy(apm) }
        var out = caller
        var voice: Int32 = 0
        for at in stride(from: 0, to: caller.count - frame, by: frame) {
            _ = vd_apm_process_reverse(apm, silence, frame)
            out[at..<(at + frame)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, frame, 80, &voice) }
        }
        let kept = 10 * log10(Self.energy(out[rateHz..<(caller.count - frame)]) / Self.energy(caller[rateHz..<(caller.count - frame)]))
        print("AEC at \(rateHz) Hz with a silent far end: caller speech level \(String(format: "%.1f", kept)) dB")
        #expect(kept > -3)
    }

    /// Speech plus sox-made white noise at 10 dB SNR: noise suppression must raise the segmental SNR.
    @Test(arguments: [8000, 16000]) func noiseSuppressionImprovesSegmentalSNR(rateHz: Int) throws {
        let clean = try Self.speech(rateHz: rateHz)
        let frame = rateHz / 50
        let noiseFile = try WAVFile(path: TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/noise-white-\(rateHz / 1000)k-pcm.wav").path)
        let noise = stride(from: 0, to: noiseFile.data.count - 1, by: 2).map {
            Double(Int16(bitPattern: UInt16(noiseFile.data[$0]) | UInt16(noiseFile.data[$0 + 1]) << 8))
        }
        let speechRMS = (Self.energy(clean[...]) / Double(clean.count)).squareRoot()
        let noiseGain = speechRMS / pow(10, 10.0 / 20) / (noise.reduce(0) { $0 + $1 * $1 } / Double(noise.count)).squareRoot()
        let noisy: [Int16] = clean.indices.map { i in Int16(max(-32768, min(32767, Double(clean[i]) + noise[i % noise.count] * noiseGain))) }
        let apm = Self.makeAPM(rateHz: rateHz) { $0.noise_suppression = 3 }
        defer { vd_apm_destroy(apm) }
        var out = noisy
        var voice: Int32 = 0
        for at in stride(from: 0, to: out.count - frame, by: frame) {
            out[at..<(at + frame)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, frame, 0, &voice) }
        }
        func segmentalSNR(_ x: [Int16], lag: Int) -> Double {
            var total = 0.0, count = 0
            for at in stride(from: rateHz, to: clean.count - frame - lag, by: frame) {
                let s = Self.energy(clean[at..<(at + frame)])
                guard s > Double(frame) * 500 * 500 else { continue } // speech segments only
                var n = 0.0
                for i in at..<(at + frame) { let d = Double(x[i + lag]) - Double(clean[i]); n += d * d }
                total += max(-10, min(35, 10 * log10(s / max(n, 1))))
                count += 1
            }
            return total / Double(max(count, 1))
        }
        let before = segmentalSNR(noisy, lag: 0)
        let after = (0...(frame / 2)).map { segmentalSNR(out, lag: $0) }.max()!
        print("NS at \(rateHz) Hz: segmental SNR \(String(format: "%.1f", before)) dB → \(String(format: "%.1f", after)) dB (white noise, 10 dB SNR)")
        #expect(after > before + 0.5)
    }

    /// `apm` on the uplink and `echo-reference` on the downlink share one processor per call.
    @Test func nodesWireIntoAGraphAndRefuseBadPlacements() throws {
        let spec = GraphSpec(name: "aec", uplink: ["mulaw-decode", "resample(rate=16000)", "apm"],
                             downlink: ["echo-reference", "resample(rate=8000)", "mulaw-encode"])
        let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        #expect(graph.agentHears == AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
        #expect(graph.nodeTimings.map(\.node) == ["uplink.mulaw-decode", "uplink.resample-16k", "uplink.apm",
                                                   "downlink.echo-reference", "downlink.resample-8k", "downlink.mulaw-encode"])

        #expect(throws: GraphBuildError.unsupportedFormat(node: "echo-reference", input: .pcm8k,
                                                          expected: "an 'apm' node on the uplink of the same graph")) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode"], downlink: ["echo-reference", "mulaw-encode"]),
                      providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.unsupportedFormat(node: "echo-reference", input: .pcm8k,
                                                          expected: "pcm16 mono at 16000 Hz, the apm node's rate")) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode", "resample(rate=16000)", "apm", "resample(rate=8000)"],
                                      downlink: ["echo-reference", "mulaw-encode"]), providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.self) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["mulaw-decode", "resample(rate=24000)", "apm"], downlink: ["resample(rate=8000)", "mulaw-encode"]),
                      providerFormat: .telephonyMuLaw)
        }
    }

    /// The same graph on a real media thread: every frame comes back, the caller's speech survives.
    @Test func aecGraphEchoesSpeechOnAMediaThread() async throws {
        let spec = GraphSpec(name: "aec", uplink: ["mulaw-decode", "resample(rate=16000)", "apm"],
                             downlink: ["echo-reference", "resample(rate=8000)", "mulaw-encode"])
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 1))
        let call = try CallPipeline(callID: 1, spec: spec, providerFormat: .telephonyMuLaw,
                                    doorbell: Doorbell(mediaThreads: 1, callsPerThread: 1), configuration: .unpaced)
        try thread.attach(call)
        let speech = Array(try TestSpeech.frames().prefix(150))
        var back: [UInt8] = []
        for frame in speech {
            _ = frame.withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
            thread.requestWake()
            try await Task.sleep(for: .milliseconds(1))
            back += call.echoStep(waking: thread).flatMap { $0 }
        }
        for _ in 0..<2000 where back.count < 150 * 160 {
            back += call.echoStep(waking: thread).flatMap { $0 }
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
        var cfg = vd_apm_config(sample_rate_hz: 44100, echo_cancellation: 0, delay_agnostic: 0, noise_suppression: 0, gain_control: 0,
                                high_pass: 0, voice_detection: 0)
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
