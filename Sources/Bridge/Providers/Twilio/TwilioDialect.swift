import MediaGraph
import NIOCore

/// Twilio Media Streams, bidirectional (shared/protocols.md §1): JSON text frames both ways, μ-law
/// 8 kHz in base64; `mark` echoes, `clear` returns pending marks.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: parsing `media` is allocation-free; building a message allocates its ByteBuffer.
final class TwilioDialect: ProviderDialect {
    let name = "twilio"
    let framing = OutboundFraming.anyFrames
    private let parser = TwilioMessageParser()
    private var outbound: TwilioOutbound?
    private var streamSid: [UInt8] = []

    func parse(text bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        switch try parser.parse(bytes) {
        case .connected: return .connected
        case let .start(start):
            return .start(ProviderCallStart(
                provider: name, callID: start.callSid, streamID: start.streamSid, accountID: start.accountSid,
                // voiced's own TwiML answer passes the caller and callee as parameters.
                from: start.customParameters["from"], to: start.customParameters["to"], customParameters: start.customParameters,
                formatDescription: "\(start.encoding) \(start.sampleRateHz) Hz \(start.channels) ch"))
        case let .media(media):
            // Checked only once a stream started; before that the socket rejects `media` anyway.
            if outbound != nil, !media.streamSid.elementsEqual(streamSid) { throw .wrongStreamSid }
            return .media(ProviderMedia(payload: media.payload, encoding: .base64, timestampMs: media.timestampMs))
        case let .dtmf(digit): return .dtmf(digit: digit)
        case let .mark(name): return .mark(name: name)
        case .stop: return .stop
        case let .unknown(name): return .unknown(name)
        }
    }

    func parse(binary bytes: UnsafeRawBufferPointer) throws(ProviderProtocolError) -> ProviderEvent {
        throw .binaryFrame
    }

    func accept(_ start: ProviderCallStart) throws(ProviderProtocolError) -> AudioFormat {
        guard start.formatDescription == Self.muLawFormat else { throw .unsupportedMediaFormat("\(start.formatDescription) (expected \(Self.muLawFormat))") }
        outbound = TwilioOutbound(streamSid: start.streamID)
        streamSid = Array(start.streamID.utf8)
        return .telephonyMuLaw
    }

    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: outbound!.media(audio, allocator: allocator))
    }

    func mark(_ name: String, allocator: ByteBufferAllocator) -> WebSocketMessage? {
        WebSocketMessage(isText: true, data: outbound!.mark(name, allocator: allocator))
    }

    func clear(allocator: ByteBufferAllocator) -> WebSocketMessage {
        WebSocketMessage(isText: true, data: outbound!.clear(allocator: allocator))
    }

    /// The only format a bidirectional Twilio stream carries.
    private static let muLawFormat = "audio/x-mulaw 8000 Hz 1 ch"
}
