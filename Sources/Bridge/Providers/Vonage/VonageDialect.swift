import Foundation
import MediaGraph
import NIOCore

/// Vonage Voice API WebSockets (shared/protocols.md §4.2, docs/providers.md): audio both ways in
/// binary frames of 16-bit little-endian PCM, exactly 20 ms each, at 8, 16 or 24 kHz; JSON text
/// for the rest. The first text message, `websocket:connected`, stands for `start`: its
/// `content-type` (`audio/l16;rate=16000`) is the format and the NCCO's `headers`, flattened beside
/// it, are the call's custom parameters (a `uuid` or `call_uuid` header becomes the call id —
/// Vonage sends none of its own). `websocket:dtmf` in; `{"action":"notify"}` is our playback marker
/// (back as `websocket:notify`) and `{"action":"clear"}` the flush (acknowledged with
/// `websocket:cleared`). The socket's close ends the call: Vonage sends no `stop`.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: taking a binary frame is allocation-free; building a message allocates its ByteBuffer.
final class VonageDialect: ProviderDialect {
    let name = "vonage"
    let framing = OutboundFraming(minFrames: 1, maxFrames: 1)
    private let tape = JSONTape(maxTokens: 128)
    private var offered: AudioFormat?
    /// Bytes of one 20 ms frame once the call started (nil before).
    private var frameBytes: Int?

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        try tape.parseMessage(bytes)
        let event = try tape.event()
        if tape.equals(event, "websocket:connected") { return .start(try connected()) }
        if tape.equals(event, "websocket:notify") {
            return .mark(name: try tape.requiredString("name", of: tape.member("payload", of: 0), field: "payload.name"))
        }
        if tape.equals(event, "websocket:dtmf") { return .dtmf(digit: try tape.keypadDigit("digit", of: 0, field: "digit")) }
        if tape.equals(event, "websocket:cleared") { return .acknowledged("websocket:cleared") }
        return .unknown(tape.string(event) ?? "?")
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        if let frameBytes, bytes.count != frameBytes { throw .badFrameSize(bytes: bytes.count, expected: frameBytes) }
        return .media(ProviderMedia(payload: bytes, encoding: .raw, timestampMs: nil))
    }

    private func connected() throws(ProviderProtocolError) -> ProviderCallStart {
        let contentType = try tape.requiredString("content-type", of: 0, field: "content-type")
        var rate = 0
        let parts = contentType.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.first == "audio/l16", let setting = parts.dropFirst().first(where: { $0.hasPrefix("rate=") }) {
            rate = Int(setting.dropFirst("rate=".count)) ?? 0
        }
        offered = [8000, 16000, 24000].contains(rate) ? AudioFormat(encoding: .pcm16, sampleRateHz: rate) : nil
        var headers = tape.stringMembers(of: 0)
        headers["event"] = nil
        headers["content-type"] = nil
        let callID = headers["uuid"] ?? headers["call_uuid"] ?? headers["conversation_uuid"] ?? ""
        return ProviderCallStart(provider: name, callID: callID, streamID: "", from: headers["from"], to: headers["to"],
                                 customParameters: headers, formatDescription: contentType)
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard let offered else {
            throw .unsupportedMediaFormat("\(start.formatDescription) (expected audio/l16;rate=8000, 16000 or 24000)")
        }
        frameBytes = offered.bytesPerFrame
        return offered
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: false, data: allocator.buffer(bytes: audio))
    }

    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? {
        WebSocketMessage(isText: true, data: OutboundJSON.string(Self.notifyPrefix, name, #""}}"#, allocator: allocator))
    }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: allocator.buffer(staticString: #"{"action":"clear"}"#))
    }

    private static let notifyPrefix = Array(#"{"action":"notify","payload":{"name":""#.utf8)
}
