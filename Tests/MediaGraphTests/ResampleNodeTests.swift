import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

/// libsamplerate behind `vd_resampler`: quality, delay and chunking (issue: no block buffering, no
/// state lost at 20 ms boundaries).
@Suite struct ResampleNodeTests {
    static func makeResampler(from: Int, to: Int, maxIn: Int, quality: vd_resampler_quality = VD_RESAMPLER_MEDIUM) -> OpaquePointer {
        var cfg = vd_resampler_config(in_rate_hz: Int32(from), out_rate_hz: Int32(to), quality: quality, max_in_frames: maxIn)
        var err: Int32 = 0
        return vd_resampler_create(&cfg, &err)!
    }

    /// Runs `signal` through a fresh converter in pieces of `chunk` samples.
    static func convert(_ signal: [Int16], from: Int, to: Int, chunk: Int, quality: vd_resampler_quality = VD_RESAMPLER_MEDIUM) -> (out: [Int16], delay: Int) {
        let r = makeResampler(from: from, to: to, maxIn: chunk, quality: quality)
        defer { vd_resampler_destroy(r) }
        var out: [Int16] = []
        var piece = [Int16](repeating: 0, count: chunk * to / from)
        for start in stride(from: 0, to: signal.count - chunk + 1, by: chunk) {
            let n = signal[start..<(start + chunk)].withUnsafeBufferPointer { vd_resampler_process(r, $0.baseAddress!, chunk, &piece, piece.count) }
            #expect(Int(n) == chunk * to / from, "every call returns exactly one chunk's worth")
            out += piece
        }
        return (out, Int(vd_resampler_delay_frames(r)))
    }

    /// SNR (dB) of `output` against `reference` shifted by the best delay in 0…maxLag.
    static func alignedSNR(reference: [Int16], output: [Int16], maxLag: Int = 200) -> (snr: Double, lag: Int) {
        var best = (snr: -Double.infinity, lag: 0)
        let skip = 400 // converter start-up
        for lag in 0...maxLag {
            var signal = 0.0, noise = 0.0
            for i in skip..<(min(reference.count, output.count - lag) - skip) {
                let s = Double(reference[i]), o = Double(output[i + lag])
                signal += s * s
                noise += (s - o) * (s - o)
            }
            let snr = 10 * log10(signal / max(noise, 1e-9))
            if snr > best.snr { best = (snr, lag) }
        }
        return best
    }

    /// A logarithmic sine sweep, 100 Hz → 3 kHz (inside the converter's passband at 8 kHz).
    static func sweep(rateHz: Int, seconds: Double) -> [Int16] {
        let n = Int(Double(rateHz) * seconds)
        let f0 = 100.0, f1 = 3000.0
        let k = log(f1 / f0) / seconds
        return (0..<n).map { i in
            let t = Double(i) / Double(rateHz)
            return Int16(12000 * sin(2 * .pi * f0 * (exp(k * t) - 1) / k))
        }
    }

    /// 8 kHz PCM of the test speech, low-passed at 3 kHz (a 511-tap Blackman windowed-sinc FIR,
    /// ~90 Hz transition), so the reference holds only what the converter's passband carries
    /// (libsamplerate's `medium` passes 90 % of the lower Nyquist: 3.6 kHz here).
    static func bandLimitedSpeech() throws -> [Int16] {
        let ulaw = try TestSpeech.frames().flatMap { $0 }
        let pcm = ulaw.map { Double(vd_ulaw_decode_sample($0)) }
        let taps = 511, cutoff = 3000.0 / 8000.0
        let h: [Double] = (0..<taps).map { i in
            let m = Double(i - taps / 2)
            let sinc = m == 0 ? 2 * cutoff : sin(2 * .pi * cutoff * m) / (.pi * m)
            return sinc * (0.42 - 0.5 * cos(2 * .pi * Double(i) / Double(taps - 1)) + 0.08 * cos(4 * .pi * Double(i) / Double(taps - 1)))
        }
        return (0..<pcm.count).map { n in
            var acc = 0.0
            for k in 0..<taps where n - k >= 0 { acc += h[k] * pcm[n - k] }
            return Int16(max(-32768, min(32767, acc.rounded())))
        }
    }

    /// 8 kHz → 16 kHz → 8 kHz in 20 ms frames.
    static func roundTrip(_ signal: [Int16], quality: vd_resampler_quality = VD_RESAMPLER_MEDIUM) -> (out: [Int16], delay: Int) {
        let up = convert(signal, from: 8000, to: 16000, chunk: 160, quality: quality)
        let down = convert(up.out, from: 16000, to: 8000, chunk: 320, quality: quality)
        return (down.out, up.delay / 2 + down.delay)
    }

    @Test func sweepRoundTripKeepsSixtyDecibelsAndTheReportedDelay() {
        let input = Self.sweep(rateHz: 8000, seconds: 3)
        let (out, reported) = Self.roundTrip(input)
        let (snr, lag) = Self.alignedSNR(reference: input, output: out)
        print("resampler 8k→16k→8k sine sweep: SNR \(String(format: "%.1f", snr)) dB, delay \(lag) samples at 8 kHz (reported \(reported))")
        #expect(snr >= 60)
        #expect(lag == reported, "the delay the converters report is the delay the signal sees")
    }

    @Test func speechRoundTripKeepsSixtyDecibelsWithTheSameDelay() throws {
        let speech = try Self.bandLimitedSpeech()
        let (out, reported) = Self.roundTrip(speech)
        let (snr, lag) = Self.alignedSNR(reference: speech, output: out)
        let sweepLag = Self.alignedSNR(reference: Self.sweep(rateHz: 8000, seconds: 3), output: Self.roundTrip(Self.sweep(rateHz: 8000, seconds: 3)).out).lag
        print("resampler 8k→16k→8k speech: SNR \(String(format: "%.1f", snr)) dB, delay \(lag) samples at 8 kHz")
        #expect(snr >= 60)
        #expect(lag == sweepLag, "the group delay is the same for any signal")
        #expect(lag == reported)
    }

    @Test func twentyMillisecondChunksEqualOneWholeCall() {
        let input = Self.sweep(rateHz: 8000, seconds: 2)
        let chunked = Self.convert(input, from: 8000, to: 16000, chunk: 160).out
        let whole = Self.convert(input, from: 8000, to: 16000, chunk: input.count).out
        #expect(chunked.count == whole.count)
        let worst = zip(chunked, whole).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "largest difference \(worst) LSB")
    }

    @Test func rejectsUnsupportedRatesAndSizes() {
        var cfg = vd_resampler_config(in_rate_hz: 11025, out_rate_hz: 16000, quality: VD_RESAMPLER_MEDIUM, max_in_frames: 160)
        var err: Int32 = 0
        #expect(vd_resampler_create(&cfg, &err) == nil)
        #expect(err == VD_EINVAL)
        let r = Self.makeResampler(from: 8000, to: 16000, maxIn: 160)
        defer { vd_resampler_destroy(r) }
        var out = [Int16](repeating: 0, count: 1000)
        let tooMany = [Int16](repeating: 0, count: 161)
        #expect(vd_resampler_process(r, tooMany, 161, &out, 1000) == VD_EINVAL)
        #expect(vd_resampler_process(r, tooMany, 160, &out, 100) == VD_EINVAL, "output too small")
    }

    /// A 16 kHz agent behind an 8 kHz provider: the graph resamples both ways on a media thread.
    @Test func graphResamplesBothWaysOnAMediaThread() async throws {
        let spec = GraphSpec(name: "wideband", uplink: ["mulaw-decode", "resample(rate=16000)"], downlink: ["resample(rate=8000)", "mulaw-encode"])
        let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        #expect(graph.agentHears == AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 1))
        let call = try CallPipeline(callID: 1, spec: spec, providerFormat: .telephonyMuLaw,
                                    doorbell: Doorbell(mediaThreads: 1, callsPerThread: 1), configuration: .unpaced)
        try thread.attach(call)
        let speech = Array(try TestSpeech.frames().prefix(50))
        for frame in speech {
            _ = frame.withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
            thread.requestWake()
        }
        var back: [UInt8] = []
        for _ in 0..<2000 where back.count < 50 * 160 {
            back += call.echoStep(waking: thread).flatMap { $0 }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(back.count == 50 * 160, "one 20 ms frame out per frame in")
        // 12 ms (96 samples) later, the speech is back, up to μ-law's own quantisation.
        let sent = speech.flatMap { $0 }.map { Double(vd_ulaw_decode_sample($0)) }
        let got = back.map { Double(vd_ulaw_decode_sample($0)) }
        var signal = 0.0, noise = 0.0
        for i in 400..<(sent.count - 96) {
            signal += sent[i] * sent[i]
            noise += (sent[i] - got[i + 96]) * (sent[i] - got[i + 96])
        }
        #expect(10 * log10(signal / noise) > 25, "SNR \(10 * log10(signal / noise)) dB")
        thread.detach(call)
        thread.stop()
    }

    @Test func nodeNegotiatesAndNamesBothFormatsOnMismatch() throws {
        let node = ResampleNode(outputRateHz: 16000)
        #expect(try node.prepare(input: .pcm8k) == AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
        #expect(node.delayFrames > 0)
        #expect(throws: GraphBuildError.unsupportedFormat(node: "resample-16k", input: .telephonyMuLaw,
                                                          expected: "pcm16 mono at 8000, 16000, 24000 or 48000 Hz")) {
            try ResampleNode(outputRateHz: 16000).prepare(input: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.self) { try ResampleNode(outputRateHz: 22050).prepare(input: .pcm8k) }
    }
}
