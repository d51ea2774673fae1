import Benchmark
import CAudio
import Foundation
import MediaGraph
import MediaTesting

/// Per-frame costs of the media path. The thresholds make CI fail when a change allocates per frame
/// (mallocs must stay 0) or grows instructions past the recorded budget (see docs/benchmarks.md).
let benchmarks: @Sendable () -> Void = {
    let zeroMallocs: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p90: 0, .p100: 0]),
    ]
    // CI checks only what is deterministic on a shared 2-core machine (mallocs; instructions where
    // perf events exist); a developer run also reports time.
    let deterministic = ProcessInfo.processInfo.environment["VOICED_BENCH_DETERMINISTIC"] != nil
    Benchmark.defaultConfiguration = .init(
        metrics: deterministic ? [.mallocCountTotal] : [.wallClock, .cpuTotal, .instructions, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: zeroMallocs)

    // One 20 ms μ-law frame of a 1 kHz tone, as a provider sends it.
    let pcm: [Int16] = (0..<160).map { i -> Int16 in
        let phase: Double = 2 * Double.pi * 1000 * Double(i) / 8000
        return Int16(8000 * sin(phase))
    }
    var ulaw = [UInt8](repeating: 0, count: 160)
    vd_ulaw_encode(pcm, &ulaw, 160)

    Benchmark("g711-ulaw-decode-encode-20ms") { benchmark in
        var decoded = [Int16](repeating: 0, count: 160)
        var encoded = [UInt8](repeating: 0, count: 160)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            decoded.withUnsafeMutableBufferPointer { d in
                encoded.withUnsafeMutableBufferPointer { e in
                    vd_ulaw_decode(ulaw, d.baseAddress!, 160)
                    vd_ulaw_encode(d.baseAddress!, e.baseAddress!, 160)
                }
            }
            blackHole(encoded[0])
        }
    }

    Benchmark("spsc-ring-push-pop-160B") { benchmark in
        var cfg = vd_ring_config(slot_count: 64, slot_bytes: 160)
        var err: Int32 = 0
        let ring = vd_ring_create(&cfg, &err)!
        defer { vd_ring_destroy(ring) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            _ = vd_ring_push(ring, 1, 0, 0, ulaw, 160)
            let slot = vd_ring_consumer_peek(ring)
            blackHole(slot!.pointee.length)
            vd_ring_consumer_release(ring)
        }
    }

    /// One 20 ms frame of the tone (8 kHz PCM) through `makeNode()`, alone in a chain.
    func nodeBenchmark(_ name: String, _ makeNode: @escaping () -> any MediaNode) {
        Benchmark(name) { benchmark in
            let chain = try NodeChain(nodes: [makeNode()], input: .pcm8k)
            chain.input.pointee.sampleCount = 160
            pcm.withUnsafeBytes { chain.input.pointee.bytes.copyMemory(from: $0) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                chain.run()
                blackHole(chain.output.pointee.pcm16[0])
            }
        }
    }

    nodeBenchmark("resample-8k-to-16k-20ms-medium") { ResampleNode(outputRateHz: 16000, quality: VD_RESAMPLER_MEDIUM) }
    nodeBenchmark("resample-8k-to-16k-20ms-fastest") { ResampleNode(outputRateHz: 16000, quality: VD_RESAMPLER_FASTEST) }
    nodeBenchmark("resample-8k-to-8k-20ms-copy") { ResampleNode(outputRateHz: 8000) }
    nodeBenchmark("vad-8k-20ms") { VoiceActivityNode(scope: GraphScope()) }
    nodeBenchmark("level-meter-8k-20ms") { LevelMeterNode() }

    Benchmark("opus-encode-decode-8k-20ms") { benchmark in
        let encode = try NodeChain(nodes: [OpusEncodeNode()], input: .pcm8k)
        let decode = try NodeChain(nodes: [OpusDecodeNode()], input: encode.outputFormat)
        encode.input.pointee.sampleCount = 160
        pcm.withUnsafeBytes { encode.input.pointee.bytes.copyMemory(from: $0) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            encode.run()
            decode.input.pointee.sampleCount = 160
            decode.input.pointee.packetByteCount = encode.output.pointee.packetByteCount
            decode.input.pointee.storage.copyMemory(from: UnsafeRawBufferPointer(encode.output.pointee.storage))
            decode.run()
            blackHole(decode.output.pointee.pcm16[0])
        }
    }

    for rateHz in [8000, 16000] {
        Benchmark("apm-aec-ns-hpf-vad-\(rateHz / 1000)k-20ms") { benchmark in
            var cfg = vd_apm_config(sample_rate_hz: Int32(rateHz), echo_cancellation: 1, estimate_delay: 1, echo_suppression: 3, noise_suppression: 3, gain_control: 0,
                                    high_pass: 1, voice_detection: 2)
            var err: Int32 = 0
            let apm = vd_apm_create(&cfg, &err)!
            defer { vd_apm_destroy(apm) }
            let n = rateHz / 50
            let far = (0..<n).map { pcm[$0 % 160] / 2 }
            var near = [Int16](repeating: 0, count: n)
            var voice: Int32 = 0
            // Let webrtc finish any lazy set-up before measuring.
            for _ in 0..<10 { _ = vd_apm_process_reverse(apm, far, n); _ = vd_apm_process(apm, &near, n, 60, &voice) }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                _ = vd_apm_process_reverse(apm, far, n)
                for i in 0..<n { near[i] = far[(i + 37) % n] / 3 }
                _ = vd_apm_process(apm, &near, n, 60, &voice)
                blackHole(voice)
            }
        }
    }

    for (spec, agentRateHz) in [(GraphSpec.passthrough, 8000), (.standard, 8000), (.standard, 16000), (.wideband, 8000), (.full, 8000)] {
        let suffix = agentRateHz == 8000 ? "" : "-agent-\(agentRateHz / 1000)k"
        Benchmark("echo-frame-graph-media-thread-\(spec.name)\(suffix)") { benchmark in
            let harness = try EchoHarness(spec: spec, agent: .pcm(rateHz: agentRateHz))
            // One frame first, so the new thread's start-up (naming it allocates) is done before measuring.
            blackHole(harness.roundTrip(ulaw))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(harness.roundTrip(ulaw))
            }
            benchmark.stopMeasurement()
            harness.close()
        }
    }
}
