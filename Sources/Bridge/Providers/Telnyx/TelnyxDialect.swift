import CAudio
import MediaGraph
import NIOCore

/// Telnyx media streaming, bidirectional RTP mode (shared/protocols.md §4.1, docs/providers.md):
/// JSON text in snake_case with the stream's `stream_id` at the top level; `connected`, `start`,
/// `media`, `dtmf`, `mark`, `stop`, `error` in; `media`, `mark`, `clear` out (no stream id needed).
/// Audio is the RTP payload in base64: PCMU or PCMA at 8 kHz, L16 (big-endian, RFC 3551) at 8,
/// 16 or 24 kHz, or OPUS (one 20 ms packet per message, RFC 7587) at 8, 16, 24 or 48 kHz, which the
/// call's graph decodes and encodes with the Opus nodes. Telnyx does not guarantee frame order: a
/// ``ChunkReorderBuffer`` puts chunks back in order by `media.chunk`.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: parsing `media` is allocation-free; building a message allocates its ByteBuffer.
final class TelnyxDialect: ProviderDialect {
    let name = "telnyx"
    let framing = OutboundFraming.anyFrames
    private let tape = JSONTape(maxTokens: 256)
    private let reorder = ChunkReorderBuffer()
    private var offered: AudioFormat?
    private var format = AudioFormat.telephonyMuLaw
    /// L16 travels big-endian: swapped on the way in (into the reorder buffer) and out (here).
    private var bigEndian = false
    private let swapScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096 * 4, alignment: 16)

    deinit { swapScratch.deallocate() }

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        try tape.parseMessage(bytes)
        let event = try tape.event()
        if tape.equals(event, "media") { return try media() }
        if tape.equals(event, "start") { return .start(try start()) }
        if let shared = try tape.twilioShapedEvent(event) { return shared }
        if tape.equals(event, "error") {
            let error = tape.member("error", of: 0)
            return .providerError("\(tape.optionalString("title", of: error) ?? "?") (\(tape.optionalString("code", of: error) ?? "?")): \(tape.optionalString("detail", of: error) ?? "")")
        }
        return .unknown(tape.string(event) ?? "?")
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent { throw .binaryFrame }

    private func media() throws(ProviderProtocolError) -> ProviderEvent {
        let media = try tape.object("media", of: 0, field: "media")
        // With `both_tracks` Telnyx also streams what the caller hears: only the caller is audio in.
        if let track = tape.member("track", of: media), !tape.equals(track, "inbound"), !tape.equals(track, "inbound_track") {
            return .acknowledged("media (track not inbound)")
        }
        let payload = try tape.base64Payload("payload", of: media)
        guard let chunk = try tape.counter("chunk", of: media, field: "media.chunk") else { throw .missingField("media.chunk") }
        _ = try tape.counter("timestamp", of: media, field: "media.timestamp")
        let count = Base64.decodedCount(payload)
        let packetized = format.encoding.isPacketized
        guard count <= reorder.slotBytes, packetized || count % format.encoding.bytesPerSample == 0 else { throw .badPayload }
        let swap = bigEndian
        let format = format
        let result = try reorder.insert(chunk) { (slot) throws(ProviderProtocolError) -> Int in
            guard let n = Base64.decode(payload, into: slot) else { throw .badPayload }
            if swap { Self.swapBytes(UnsafeMutableRawBufferPointer(rebasing: slot[0..<n])) }
            if packetized { try Self.checkOpusPacket(UnsafeRawBufferPointer(rebasing: slot[0..<n]), format: format) }
            return n
        }
        switch result {
        case .held:
            return .held
        case let .released(audio, lengths, concealed):
            return .media(ProviderMedia(payload: audio, encoding: .raw, timestampMs: nil, concealedFrames: concealed,
                                        packetLengths: packetized ? lengths : nil))
        }
    }

    /// Throws unless `packet` is one Opus packet of exactly one 20 ms frame at the call's rate (the
    /// graph's decoder takes 20 ms at a time; RTP packets of other lengths are refused, not cut).
    private static func checkOpusPacket(_ packet: UnsafeRawBufferPointer, format: AudioFormat) throws(ProviderProtocolError) {
        guard let base = packet.baseAddress else { throw .badOpusPacket(durationMs: nil) }
        let samples = Int(vd_opus_packet_samples(base.assumingMemoryBound(to: UInt8.self), packet.count, Int32(format.sampleRateHz)))
        guard samples > 0 else { throw .badOpusPacket(durationMs: nil) }
        guard samples == format.samplesPerFrame else { throw .badOpusPacket(durationMs: samples * 1000 / format.sampleRateHz) }
    }

    private func start() throws(ProviderProtocolError) -> ProviderCallStart {
        let start = try tape.object("start", of: 0, field: "start")
        let (encoding, rate, channels) = tape.mediaFormat(try tape.object("media_format", of: start, field: "start.media_format"),
                                                          rate: "sample_rate")
        offered = switch (encoding.uppercased(), rate) {
        case _ where channels != 1: nil
        case ("PCMU", 8000), ("AUDIO/X-MULAW", 8000): .telephonyMuLaw
        case ("PCMA", 8000), ("AUDIO/X-ALAW", 8000): AudioFormat(encoding: .alaw, sampleRateHz: 8000)
        case ("L16", 8000), ("L16", 16000), ("L16", 24000): AudioFormat(encoding: .pcm16, sampleRateHz: rate)
        case ("OPUS", _) where AudioFormat.commonRatesHz.contains(rate): AudioFormat(encoding: .opus, sampleRateHz: rate)
        default: nil
        }
        var parameters = tape.stringMembers(of: tape.member("custom_parameters", of: start))
        if let state = tape.optionalString("client_state", of: start) { parameters["client_state"] = state }
        return ProviderCallStart(
            provider: name, callID: tape.optionalString("call_control_id", of: start) ?? "",
            streamID: tape.optionalString("stream_id", of: 0) ?? "",
            accountID: tape.optionalString("user_id", of: start) ?? "",
            from: tape.optionalString("from", of: start), to: tape.optionalString("to", of: start),
            customParameters: parameters, formatDescription: "\(encoding) \(rate) Hz \(channels) ch")
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard let offered else {
            throw .unsupportedMediaFormat("\(start.formatDescription) (expected PCMU or PCMA at 8000 Hz, L16 at 8000, 16000 or 24000, or OPUS at 8000, 16000, 24000 or 48000, mono)")
        }
        format = offered
        bigEndian = offered.encoding == .pcm16
        // A lost Opus packet is an empty one: the decoder conceals it.
        reorder.silenceBytes = offered.encoding.isPacketized ? 0 : offered.bytesPerFrame
        reorder.silenceByte = offered.silenceByte
        return offered
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        var bytes = audio
        if bigEndian, audio.count <= swapScratch.count {
            let scratch = UnsafeMutableRawBufferPointer(rebasing: swapScratch[0..<audio.count])
            scratch.copyMemory(from: audio)
            Self.swapBytes(scratch)
            bytes = UnsafeRawBufferPointer(scratch)
        }
        return WebSocketMessage(isText: true, data: OutboundJSON.base64(Self.mediaPrefix, bytes, #""}}"#, allocator: allocator))
    }

    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? {
        WebSocketMessage(isText: true, data: OutboundJSON.string(Self.markPrefix, name, #""}}"#, allocator: allocator))
    }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: allocator.buffer(staticString: #"{"event":"clear"}"#))
    }

    /// Swaps each 16-bit sample's bytes (little- ↔ big-endian).
    private static func swapBytes(_ bytes: UnsafeMutableRawBufferPointer) {
        var i = 0
        while i + 1 < bytes.count {
            bytes.swapAt(i, i + 1)
            i += 2
        }
    }

    private static let mediaPrefix = Array(#"{"event":"media","media":{"payload":""#.utf8)
    private static let markPrefix = Array(#"{"event":"mark","mark":{"name":""#.utf8)
}
