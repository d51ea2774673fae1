import NIOCore

/// Builds the messages we send Twilio (shared/protocols.md §1.3) straight into `ByteBuffer`s:
/// `media`, `mark` and `clear`, each carrying the stream's `streamSid`.
///
/// - Threading: one per call, on the call's event loop.
/// - Ownership: holds the JSON prefixes with the stream's `streamSid`, made once at `start`.
/// - Realtime: allocates one ByteBuffer per message (I/O thread only).
struct TwilioOutbound {
    private let mediaPrefix: [UInt8]
    private let markPrefix: [UInt8]
    private let clearMessage: [UInt8]

    init(streamSid: String) {
        let sid = JSONStringEscaper.escape(streamSid)
        mediaPrefix = Array(#"{"event":"media","streamSid":"\#(sid)","media":{"payload":""#.utf8)
        markPrefix = Array(#"{"event":"mark","streamSid":"\#(sid)","mark":{"name":""#.utf8)
        clearMessage = Array(#"{"event":"clear","streamSid":"\#(sid)"}"#.utf8)
    }

    /// `{"event":"media",…}` carrying `audio` (μ-law) as base64.
    func media(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        OutboundJSON.base64(mediaPrefix, audio, #""}}"#, allocator: allocator)
    }

    /// `{"event":"mark",…,"mark":{"name":…}}`.
    func mark(_ name: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        OutboundJSON.string(markPrefix, name, #""}}"#, allocator: allocator)
    }

    /// `{"event":"clear",…}`.
    func clear(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(bytes: clearMessage)
    }
}
