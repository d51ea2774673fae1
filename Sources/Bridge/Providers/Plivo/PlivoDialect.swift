import Foundation
import MediaGraph
import NIOCore

/// Plivo audio streams, bidirectional (shared/protocols.md §4.3, docs/providers.md): JSON text in
/// camelCase; `start` (ids inside `start`), `media`, `dtmf`, `playedStream`, `clearedAudio`, `stop`
/// in; `playAudio`, `checkpoint` (our playback marker, back as `playedStream`) and `clearAudio`
/// (acknowledged with `clearedAudio`) out. Audio is base64 μ-law at 8 kHz or 16-bit little-endian
/// PCM (`audio/x-l16`) at 8 or 16 kHz. `extra_headers` (`k=v` pairs split by `;` or `,`) are the
/// call's custom parameters; `media.timestamp` is Unix time in ms. Plivo may end a stream by
/// closing the socket without a `stop`.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: parsing `media` is allocation-free; building a message allocates its ByteBuffer.
final class PlivoDialect: ProviderDialect {
    let name = "plivo"
    let framing = OutboundFraming.anyFrames
    private let tape = JSONTape(maxTokens: 256)
    private var offered: AudioFormat?
    private var format = AudioFormat.telephonyMuLaw
    private var streamID: [UInt8] = []
    private var prefixes: (media: [UInt8], checkpoint: [UInt8], clear: [UInt8]) = ([], [], [])

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        try tape.parseMessage(bytes)
        let event = try tape.event()
        if tape.equals(event, "media") {
            let media = try tape.object("media", of: 0, field: "media")
            return .media(try tape.base64Media(media, format: format, streamKey: "streamId", stream: streamID))
        }
        if tape.equals(event, "start") { return .start(try start()) }
        if tape.equals(event, "playedStream") { return .mark(name: try tape.requiredString("name", of: 0, field: "name")) }
        if tape.equals(event, "dtmf") { return .dtmf(digit: try tape.keypadDigit("digit", of: tape.member("dtmf", of: 0), field: "dtmf.digit")) }
        if tape.equals(event, "clearedAudio") { return .acknowledged("clearedAudio") }
        if tape.equals(event, "stop") { return .stop }
        return .unknown(tape.string(event) ?? "?")
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent { throw .binaryFrame }

    private func start() throws(ProviderProtocolError) -> ProviderCallStart {
        let start = try tape.object("start", of: 0, field: "start")
        let id = try tape.requiredString("streamId", of: start, field: "start.streamId")
        let (encoding, rate, _) = tape.mediaFormat(try tape.object("mediaFormat", of: start, field: "start.mediaFormat"), rate: "sampleRate")
        offered = switch (encoding.lowercased(), rate) {
        case ("audio/x-mulaw", 8000): .telephonyMuLaw
        case ("audio/x-l16", 8000), ("audio/x-l16", 16000): AudioFormat(encoding: .pcm16, sampleRateHz: rate)
        default: nil
        }
        return ProviderCallStart(
            provider: name, callID: tape.optionalString("callId", of: start) ?? "", streamID: id,
            accountID: tape.optionalString("accountId", of: start) ?? "",
            customParameters: Self.headers(tape.optionalString("extra_headers", of: 0) ?? ""),
            formatDescription: "\(encoding) \(rate) Hz")
    }

    /// `extra_headers`: `k=v` pairs split by `;` or `,` (Plivo's examples use both).
    private static func headers(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            result[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard let offered else {
            throw .unsupportedMediaFormat("\(start.formatDescription) (expected audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000 or 16000)")
        }
        format = offered
        streamID = Array(start.streamID.utf8)
        let contentType = offered.encoding == .mulaw ? "audio/x-mulaw" : "audio/x-l16"
        prefixes = (
            Array(#"{"event":"playAudio","media":{"contentType":"\#(contentType)","sampleRate":\#(offered.sampleRateHz),"payload":""#.utf8),
            OutboundJSON.template(#"{"event":"checkpoint","streamId":"{id}","name":""#, id: start.streamID),
            OutboundJSON.template(#"{"event":"clearAudio","streamId":"{id}"}"#, id: start.streamID))
        return offered
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: OutboundJSON.base64(prefixes.media, audio, #""}}"#, allocator: allocator))
    }

    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? {
        WebSocketMessage(isText: true, data: OutboundJSON.string(prefixes.checkpoint, name, #""}"#, allocator: allocator))
    }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: allocator.buffer(bytes: prefixes.clear))
    }
}
