import Foundation
import MediaGraph
import NIOCore
import NIOHTTP1

/// Azure Communication Services bidirectional audio streaming (shared/protocols.md §3,
/// docs/providers.md): JSON text with a `kind`. `AudioMetadata` comes first and stands for `start`
/// (the call's ids are in the upgrade request's `x-ms-call-connection-id` and
/// `x-ms-call-correlation-id` headers; the transport URL's query parameters are the call's custom
/// parameters); then `AudioData` (base64 PCM16LE at 16 or 24 kHz, 20 ms; a `silent` frame is kept
/// as zeros so the media clock stays linear) and `DtmfData`. Out: `AudioData` one 20 ms frame each,
/// and `StopAudio` as the flush. ACS returns no playback markers: the call's ``PlayoutClock``
/// reckons what has played.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: parsing `AudioData` is allocation-free; building a message allocates its ByteBuffer.
final class ACSDialect: ProviderDialect {
    let name = "acs"
    let framing = OutboundFraming(minFrames: 1, maxFrames: 1, returnsMarks: false)
    private let tape = JSONTape(maxTokens: 64)
    private let connectionID: String
    private let correlationID: String
    private let queryParameters: [String: String]
    private var offered: AudioFormat?

    /// What a `silent` frame plays: zeros, as many bytes as its data decodes to (or its metadata's
    /// frame length when it carries none).
    private static let zeros: UnsafeRawBufferPointer = {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(buffer)
    }()
    private var frameBytes = 640

    init(request: HTTPRequestHead) {
        connectionID = request.headers.first(name: "x-ms-call-connection-id") ?? ""
        correlationID = request.headers.first(name: "x-ms-call-correlation-id") ?? ""
        queryParameters = URLComponents(string: request.uri)?.queryItems?.reduce(into: [:]) { $0[$1.name] = $1.value ?? "" } ?? [:]
    }

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        try tape.parseMessage(bytes)
        guard let kind = tape.member("kind", of: 0), tape[kind].kind == .string else { throw .missingField("kind") }
        if tape.equals(kind, "AudioData") { return try audio() }
        if tape.equals(kind, "AudioMetadata") { return .start(try metadata()) }
        if tape.equals(kind, "DtmfData") {
            return .dtmf(digit: try tape.keypadDigit("data", of: tape.member("dtmfData", of: 0), field: "dtmfData.data"))
        }
        return .unknown(tape.string(kind) ?? "?")
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent { throw .binaryFrame }

    private func audio() throws(ProviderProtocolError) -> ProviderEvent {
        let data = try tape.object("audioData", of: 0, field: "audioData")
        let silent = tape.flag("silent", of: data) ?? false
        if silent {
            let count = tape.member("data", of: data) != nil ? Base64.decodedCount(try tape.base64Payload("data", of: data)) : frameBytes
            return .media(ProviderMedia(payload: UnsafeRawBufferPointer(rebasing: Self.zeros[0..<min(count & ~1, Self.zeros.count)]),
                                        encoding: .raw, timestampMs: nil))
        }
        let payload = try tape.base64Payload("data", of: data)
        guard Base64.decodedCount(payload) % 2 == 0 else { throw .badPayload }
        return .media(ProviderMedia(payload: payload, encoding: .base64, timestampMs: nil))
    }

    private func metadata() throws(ProviderProtocolError) -> ProviderCallStart {
        let metadata = try tape.object("audioMetadata", of: 0, field: "audioMetadata")
        let (encoding, rate, channels) = tape.mediaFormat(metadata, rate: "sampleRate")
        let length = Int(tape.member("length", of: metadata).flatMap { tape.unsignedInteger($0) } ?? 0)
        offered = encoding == "PCM" && channels == 1 && (rate == 16000 || rate == 24000)
            ? AudioFormat(encoding: .pcm16, sampleRateHz: rate) : nil
        var parameters = queryParameters
        if !correlationID.isEmpty { parameters["correlation_id"] = correlationID }
        return ProviderCallStart(
            provider: name, callID: connectionID, streamID: tape.optionalString("subscriptionId", of: metadata) ?? "",
            customParameters: parameters,
            formatDescription: "\(encoding) \(rate) Hz \(channels) ch, \(length) bytes per frame")
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard let offered else {
            throw .unsupportedMediaFormat("\(start.formatDescription) (expected PCM at 16000 or 24000 Hz, 1 channel)")
        }
        frameBytes = offered.bytesPerFrame
        return offered
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: OutboundJSON.base64(Self.mediaPrefix, audio, #""},"StopAudio":null}"#, allocator: allocator))
    }

    /// ACS has no playback markers.
    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? { nil }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: allocator.buffer(staticString: #"{"Kind":"StopAudio","AudioData":null,"StopAudio":{}}"#))
    }

    private static let mediaPrefix = Array(#"{"Kind":"AudioData","AudioData":{"Data":""#.utf8)
}
