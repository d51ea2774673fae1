import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

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
        var cfg = vd_apm_config(sample_rate_hz: Int32(rateHz), echo_cancellation: 0, estimate_delay: 0, echo_suppression: 3, noise_suppression: 0, gain_control: 0,
                                high_pass: 0, voice_detection: 0)
        configure(&cfg)
        var err: Int32 = 0
        return vd_apm_create(&cfg, &err)!
    }


    /// The agent's speech comes back through a phone line (EchoPath: a short decaying impulse
    /// response, soft clipping, a −50 dBFS noise floor) 20 to 500 ms later at −6 or −12 dB; the
    /// caller is silent. Through `standard` as a μ-law call runs it (the canceller measures the
    /// delay itself), at least 30 dB of the echo is gone after 2 s of agent speech, and the echo
    /// alone raises no barge-in.
    @Test(arguments: [(20, -6.0), (40, -6.0), (60, -6.0), (120, -12.0), (300, -6.0), (500, -12.0)])
    func echoIsCancelledAtPhoneDelays(delayMs: Int, attenuationDb: Double) throws {
        let result = try EchoMeasurement(path: EchoPath(delayMs: delayMs, attenuationDb: attenuationDb), spec: .standard,
                                         far: Self.speech(rateHz: 8000))
        print("standard, echo \(delayMs) ms at \(attenuationDb) dB: ERLE \(String(format: "%.1f", result.erleDb)) dB after 2 s, delay found \(result.delayFoundMs.map(String.init) ?? "none") ms, \(result.bargeIns) barge-ins")
        #expect(result.erleDb >= 30)
        #expect(result.bargeIns == 0, "barge-ins at \(result.bargeInTimes) ms; delay changes \(result.delayChanges)")
        #expect(result.delayFoundMs.map { abs($0 - delayMs) <= 20 } == true)
    }

    /// A fixed `aec-delay` is trusted as given: right, it cancels; 150 ms off, it cannot.
    @Test func aFixedDelayIsTrusted() throws {
        let far = try Self.speech(rateHz: 8000)
        let path = EchoPath(delayMs: 250, attenuationDb: -6)
        let graph = { (delay: Int) in GraphSpec(name: "fixed", uplink: ["mulaw-decode", "apm(aec-delay=\(delay))"], downlink: ["echo-reference", "mulaw-encode"]) }
        #expect(try EchoMeasurement(path: path, spec: graph(250), far: far).erleDb >= 30)
        #expect(try EchoMeasurement(path: path, spec: graph(100), far: far).erleDb < 20)
    }

    /// The downlink runs ahead of playback in bursts (the pacer sends five frames at once, then one
    /// per 20 ms) and may outrun the caller's audio by seconds: the canceller plays the far end at
    /// the near end's pace, so the echo it sees keeps one delay, and a backlog beyond 2 s loses only
    /// audio that can no longer play.
    @Test func theFarEndPlaysAtTheNearEndsPaceHoweverItArrives() throws {
        let far = try Self.speech(rateHz: 8000)
        let frame = 160
        var path = EchoPath(delayMs: 150, attenuationDb: -6)
        path.noiseDbfs = nil
        let echo = path.apply(to: far, rateHz: 8000).echo
        let near = mix(echo)
        let apm = Self.makeAPM(rateHz: 8000) { $0.echo_cancellation = 1; $0.estimate_delay = 1; $0.echo_suppression = 3; $0.high_pass = 1; $0.noise_suppression = 3 }
        defer { vd_apm_destroy(apm) }
        // A 3 s backlog first, which the caller never hears (only the newest 2 s stay queued)...
        let backlog = [Int16](repeating: 4000, count: 3 * 8000)
        #expect(vd_apm_process_reverse(apm, backlog, backlog.count) == VD_OK)
        var out = near
        var voice: Int32 = 0
        for _ in 0..<100 { // ...played out against 2 s of silence at the microphone,
            var quiet = [Int16](repeating: 0, count: frame)
            #expect(vd_apm_process(apm, &quiet, frame, 60, &voice) == VD_OK)
        }
        // then the speech, handed over in bursts of five frames ahead of the near end.
        for block in stride(from: 0, to: far.count - 5 * frame, by: 5 * frame) {
            far[block..<(block + 5 * frame)].withUnsafeBufferPointer { #expect(vd_apm_process_reverse(apm, $0.baseAddress!, 5 * frame) == VD_OK) }
            for at in stride(from: block, to: block + 5 * frame, by: frame) {
                out[at..<(at + frame)].withUnsafeMutableBufferPointer { #expect(vd_apm_process(apm, $0.baseAddress!, frame, 60, &voice) == VD_OK) }
            }
        }
        let settled = (2 * 8000)..<(far.count - 5 * frame)
        let erle = 10 * log10(echo[settled].energy / max(out[settled].energy, 1))
        print("bursty far end, 150 ms echo: ERLE \(String(format: "%.1f", erle)) dB, delay in use \(vd_apm_echo_delay_ms(apm)) ms")
        #expect(erle >= 30)
        #expect(abs(Int(vd_apm_echo_delay_ms(apm)) - 150) <= 20)
    }

    /// What each part of the processor delays the caller by (found by cross-correlation): noise
    /// suppression 6 ms, webrtc's echo canceller 112 samples (14 ms at 8 kHz, 7 ms at 16 kHz), and
    /// the same in double talk, when speex's linear output goes on instead (held back to match).
    @Test(arguments: [8000, 16000]) func processingDelays(rateHz: Int) throws {
        let speech = try Self.speech(rateHz: rateHz)
        func lag(aec: Bool, ns: Bool, doubleTalk: Bool = false) -> Int {
            let apm = Self.makeAPM(rateHz: rateHz) {
                $0.echo_cancellation = aec ? 1 : 0; $0.echo_suppression = 3; $0.noise_suppression = ns ? 3 : 0; $0.estimate_delay = 1
            }
            defer { vd_apm_destroy(apm) }
            let frame = rateHz / 50
            // Double talk: the agent (the same recording, 3 s on) speaks throughout and comes back
            // at −6 dB; the caller joins after 4 s.
            let far = doubleTalk ? Array(speech[(3 * rateHz)...]) + speech.prefix(3 * rateHz) : [Int16](repeating: 0, count: speech.count)
            var echo = EchoPath(delayMs: 100, attenuationDb: -6)
            echo.noiseDbfs = nil
            let caller = speech.indices.map { $0 < 4 * rateHz ? 0 : Double(speech[$0]) }
            let near = doubleTalk ? mix(echo.apply(to: far, rateHz: rateHz).echo, caller) : speech
            var out = near
            var voice: Int32 = 0
            for at in stride(from: 0, to: out.count - frame, by: frame) {
                far[at..<(at + frame)].withUnsafeBufferPointer { _ = vd_apm_process_reverse(apm, $0.baseAddress!, frame) }
                out[at..<(at + frame)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, frame, 100, &voice) }
            }
            if doubleTalk { #expect(vd_apm_double_talk_chunks(apm) > 100, "double talk was heard") }
            return AddedDelayMeasurement.lag(of: out, behind: speech, maxLag: 200, over: (5 * rateHz)..<(7 * rateHz))
        }
        #expect(lag(aec: false, ns: false) == 0)
        #expect(lag(aec: false, ns: true) == 6 * rateHz / 1000)
        #expect(lag(aec: true, ns: false) == 112)
        #expect(lag(aec: true, ns: false, doubleTalk: true) == 112)
    }

    /// With a silent far end the same canceller must pass the caller's speech through (it cancels
    /// echo, it does not mute).
    @Test(arguments: [8000, 16000]) func echoCancellationKeepsTheCallersSpeech(rateHz: Int) throws {
        let caller = try Self.speech(rateHz: rateHz)
        let frame = rateHz / 50
        let silence = [Int16](repeating: 0, count: frame)
        let apm = Self.makeAPM(rateHz: rateHz) { $0.echo_cancellation = 1; $0.high_pass = 1; $0.estimate_delay = 1 }
        defer { vd_apm_destroy(apm) }
        var out = caller
        var voice: Int32 = 0
        for at in stride(from: 0, to: caller.count - frame, by: frame) {
            _ = vd_apm_process_reverse(apm, silence, frame)
            out[at..<(at + frame)].withUnsafeMutableBufferPointer { _ = vd_apm_process(apm, $0.baseAddress!, frame, 80, &voice) }
        }
        let kept = 10 * log10(out[rateHz..<(caller.count - frame)].energy / caller[rateHz..<(caller.count - frame)].energy)
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
        let speechRMS = (clean.energy / Double(clean.count)).squareRoot()
        let noiseGain = speechRMS / pow(10, 10.0 / 20) / (noise.energy / Double(noise.count)).squareRoot()
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
                let s = clean[at..<(at + frame)].energy
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

        #expect(throws: GraphBuildError.missingDependency(node: "echo-reference", needs: "an 'apm' node on the uplink of the same graph")) {
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
        var cfg = vd_apm_config(sample_rate_hz: 44100, echo_cancellation: 0, estimate_delay: 0, echo_suppression: 3, noise_suppression: 0, gain_control: 0,
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
