import NIOCore

/// Builds the messages we send Twilio (shared/protocols.md §1.3) straight into `ByteBuffer`s:
/// `media` today; `mark` and `clear` come with barge-in.
///
/// - Threading: one per call, on the call's event loop.
/// - Ownership: holds the JSON prefix with the stream's `streamSid`, made once at `start`.
/// - Realtime: allocates one ByteBuffer per message (I/O thread only).
struct TwilioOutbound {
    private let mediaPrefix: [UInt8]

    init(streamSid: String) {
        let sid = JSONStringEscaper.escape(streamSid)
        mediaPrefix = Array(#"{"event":"media","streamSid":"\#(sid)","media":{"payload":""#.utf8)
    }

    /// `{"event":"media",…}` carrying `audio` (μ-law) as base64.
    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoded = Base64.encodedCount(audio.count)
        var buffer = allocator.buffer(capacity: mediaPrefix.count + encoded + 3)
        buffer.writeBytes(mediaPrefix)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encoded) { Base64.encode(audio, into: $0) }
        buffer.writeStaticString(#""}}"#)
        return buffer
    }
}
