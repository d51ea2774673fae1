#if DEBUG
import CAudio

/// The C audio core's entry points with sizes and contents the fuzzer picks: G.711, the SPSC ring,
/// the resampler, webrtc audio processing and Opus. Wrong sizes must be refused with an error
/// code, never read or written past a buffer (AddressSanitizer watches).
enum AudioTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("g711", "μ-law and A-law both ways over the input, any length") { bytes in
            let count = bytes.count
            let pcm = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, count))
            let back = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, count))
            defer { pcm.deallocate(); back.deallocate() }
            guard let base = bytes.bindMemory(to: UInt8.self).baseAddress else { return }
            vd_ulaw_decode(base, pcm, count)
            vd_ulaw_encode(pcm, back, count)
            vd_alaw_decode(base, pcm, count)
            vd_alaw_encode(pcm, back, count)
        },
        FuzzTarget("ring", "a ring of fuzzed slots and size, payloads of fuzzed lengths pushed and drained") { bytes in
            var input = FuzzInput(bytes)
            var config = vd_ring_config(slot_count: UInt32(input.byte()), slot_bytes: UInt32(input.uint16()))
            var err: Int32 = 0
            guard let ring = vd_ring_create(&config, &err) else { return }
            defer { vd_ring_destroy(ring) }
            let data = input.rest
            var offset = 0
            while offset < data.count {
                let payload = UnsafeRawBufferPointer(rebasing: data[offset...].prefix(Int(data[offset]) * 8))
                _ = vd_ring_push(ring, 1, 0, UInt64(payload.count), payload.baseAddress, UInt32(payload.count))
                if data[offset] & 1 == 1, let slot = vd_ring_consumer_peek(ring) {
                    precondition(slot.pointee.length <= vd_ring_slot_bytes(ring))
                    vd_ring_consumer_release(ring)
                }
                offset += 1
            }
        },
        FuzzTarget("resampler", "a converter between fuzzed rates, fed fuzzed lengths into fuzzed capacities") { bytes in
            var input = FuzzInput(bytes)
            let rates: [Int32] = [8000, 16000, 24000, 48000, 0, 44100, -1]
            var config = vd_resampler_config(in_rate_hz: rates[Int(input.byte()) % rates.count], out_rate_hz: rates[Int(input.byte()) % rates.count],
                                             quality: vd_resampler_quality(rawValue: UInt32(input.byte() % 4)), max_in_frames: input.uint16())
            var err: Int32 = 0
            guard let resampler = vd_resampler_create(&config, &err) else { return }
            defer { vd_resampler_destroy(resampler) }
            let capacity = Int(input.byte()) * 8
            let samples = input.rest.count / 2
            let data = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, samples))
            let out = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, capacity))
            defer { data.deallocate(); out.deallocate() }
            UnsafeMutableRawPointer(data).copyMemory(from: input.rest.baseAddress ?? UnsafeRawPointer(data), byteCount: samples * 2)
            for chunk in stride(from: 0, to: samples, by: max(1, config.max_in_frames)) {
                _ = vd_resampler_process(resampler, data + chunk, min(Int(config.max_in_frames) + 1, samples - chunk), out, capacity)
            }
        },
        FuzzTarget("apm", "webrtc audio processing with fuzzed settings, near and far ends of fuzzed lengths") { bytes in
            var input = FuzzInput(bytes)
            let flags = input.byte()
            var config = vd_apm_config(sample_rate_hz: flags & 1 == 0 ? 8000 : 16000, echo_cancellation: Int32(flags >> 1 & 1),
                                       estimate_delay: Int32(flags >> 2 & 1), echo_suppression: Int32(flags >> 3 & 3),
                                       noise_suppression: Int32(flags >> 5 & 7), gain_control: Int32(input.byte() & 1),
                                       high_pass: 1, voice_detection: Int32(input.byte() % 5))
            var err: Int32 = 0
            guard let apm = vd_apm_create(&config, &err) else { return }
            defer { vd_apm_destroy(apm) }
            let samples = input.rest.count / 2
            let audio = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, samples))
            defer { audio.deallocate() }
            UnsafeMutableRawPointer(audio).copyMemory(from: input.rest.baseAddress ?? UnsafeRawPointer(audio), byteCount: samples * 2)
            var offset = 0
            var voice: Int32 = 0
            while offset < samples {
                // Mostly whole 10 ms chunks (what the node passes), sometimes a wrong size.
                let wanted = Int(config.sample_rate_hz / 100) * (offset % 7 == 3 ? 3 : 1) + (offset % 11 == 5 ? 1 : 0)
                let frames = min(wanted, samples - offset)
                _ = vd_apm_process_reverse(apm, audio + offset, frames)
                _ = vd_apm_process(apm, audio + offset, frames, Int32(offset % 600), &voice)
                offset += frames
            }
        },
        FuzzTarget("opus", "Opus packets of any bytes: their duration, then decoded into fuzzed capacities") { bytes in
            var input = FuzzInput(bytes)
            let rates: [Int32] = [8000, 16000, 24000, 48000, 12000]
            let rate = rates[Int(input.byte()) % rates.count]
            var err: Int32 = 0
            guard let decoder = vd_opus_decoder_create(rate, &err) else { return }
            defer { vd_opus_decoder_destroy(decoder) }
            let capacity = Int(input.byte()) * 16
            let pcm = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, capacity))
            defer { pcm.deallocate() }
            for packet in messages(input.rest) {
                let base = packet.bindMemory(to: UInt8.self).baseAddress
                if let base { _ = vd_opus_packet_samples(base, packet.count, rate) }
                _ = vd_opus_decode(decoder, base, packet.count, pcm, capacity)
            }
        },
    ]
}
#endif
