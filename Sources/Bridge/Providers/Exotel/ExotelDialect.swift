import MediaGraph
import NIOCore

/// Exotel Voicebot applet (shared/protocols.md §2, docs/providers.md): JSON text both ways in
/// snake_case; `connected`, `start`, `media`, `dtmf`, `mark`, `stop` in; `media`, `mark`, `clear`
/// out. Audio is base64 PCM16LE mono at 8, 16 or 24 kHz (`start.media_format.sample_rate`, a
/// string), or μ-law 8 kHz where the stream was set up so. Inbound chunks are any even length
/// (about 100 ms); outbound ones are whole 20 ms frames, at least 100 ms each.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: parsing `media` is allocation-free; building a message allocates its ByteBuffer.
final class ExotelDialect: ProviderDialect {
    let name = "exotel"
    /// Exotel plays chunks of at least 100 ms, each a whole number of 20 ms frames (≤ 100 KB).
    let framing = OutboundFraming(minFrames: 5, maxFrames: 10)
    private let tape = JSONTape(maxTokens: 256)
    private var streamSid: [UInt8] = []
    /// The format the last `start` offered (nil: none voiced takes), and the one accepted.
    private var offered: AudioFormat?
    private var format = AudioFormat.pcm8k
    private var prefixes: (media: [UInt8], mark: [UInt8], clear: [UInt8]) = ([], [], [])

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        try tape.parseMessage(bytes)
        let event = try tape.event()
        if tape.equals(event, "media") {
            let media = try tape.object("media", of: 0, field: "media")
            return .media(try tape.base64Media(media, format: format, streamKey: "stream_sid", stream: streamSid))
        }
        if tape.equals(event, "start") { return .start(try start()) }
        return try tape.twilioShapedEvent(event) ?? .unknown(tape.string(event) ?? "?")
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent { throw .binaryFrame }

    private func start() throws(ProviderProtocolError) -> ProviderCallStart {
        let start = try tape.object("start", of: 0, field: "start")
        let sid = try tape.requiredString("stream_sid", of: start, field: "start.stream_sid")
        let (encoding, rate, _) = tape.mediaFormat(try tape.object("media_format", of: start, field: "start.media_format"), rate: "sample_rate")
        offered = switch (encoding.lowercased(), rate) {
        case ("audio/x-raw", 8000), ("audio/x-raw", 16000), ("audio/x-raw", 24000),
             ("audio/l16", 8000), ("audio/l16", 16000), ("audio/l16", 24000):
            AudioFormat(encoding: .pcm16, sampleRateHz: rate)
        case ("audio/x-mulaw", 8000): .telephonyMuLaw
        default: nil
        }
        return ProviderCallStart(
            provider: name, callID: tape.optionalString("call_sid", of: start) ?? "", streamID: sid,
            accountID: tape.optionalString("account_sid", of: start) ?? "",
            from: tape.optionalString("from", of: start), to: tape.optionalString("to", of: start),
            customParameters: tape.stringMembers(of: tape.member("custom_parameters", of: start)),
            formatDescription: "\(encoding) \(rate) Hz")
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard let offered else {
            throw .unsupportedMediaFormat("\(start.formatDescription) (expected audio/x-raw at 8000, 16000 or 24000 Hz, or audio/x-mulaw at 8000)")
        }
        format = offered
        streamSid = Array(start.streamID.utf8)
        prefixes = (OutboundJSON.template(#"{"event":"media","stream_sid":"{id}","media":{"payload":""#, id: start.streamID),
                    OutboundJSON.template(#"{"event":"mark","stream_sid":"{id}","mark":{"name":""#, id: start.streamID),
                    OutboundJSON.template(#"{"event":"clear","stream_sid":"{id}"}"#, id: start.streamID))
        return format
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: OutboundJSON.base64(prefixes.media, audio, #""}}"#, allocator: allocator))
    }

    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? {
        WebSocketMessage(isText: true, data: OutboundJSON.string(prefixes.mark, name, #""}}"#, allocator: allocator))
    }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: allocator.buffer(bytes: prefixes.clear))
    }
}
