import NIOCore

/// Builds outbound JSON text messages straight into `ByteBuffer`s from a prefix made once per call
/// (it carries the stream's id), a value, and a fixed suffix.
///
/// - Threading: any; the prefixes are immutable.
/// - Realtime: allocates one ByteBuffer per message (I/O thread only).
enum OutboundJSON {
    /// `prefix` + base64(`audio`) + `suffix`.
    static func base64(_ prefix: [UInt8], _ audio: UnsafeRawBufferPointer, _ suffix: StaticString,
                       allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoded = Base64.encodedCount(audio.count)
        var buffer = allocator.buffer(capacity: prefix.count + encoded + suffix.utf8CodeUnitCount)
        buffer.writeBytes(prefix)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encoded) { Base64.encode(audio, into: $0) }
        buffer.writeStaticString(suffix)
        return buffer
    }

    /// `prefix` + `value` escaped as a JSON string body + `suffix`.
    static func string(_ prefix: [UInt8], _ value: String, _ suffix: StaticString, allocator: ByteBufferAllocator) -> ByteBuffer {
        let escaped = JSONStringEscaper.escape(value)
        var buffer = allocator.buffer(capacity: prefix.count + escaped.utf8.count + suffix.utf8CodeUnitCount)
        buffer.writeBytes(prefix)
        buffer.writeString(escaped)
        buffer.writeStaticString(suffix)
        return buffer
    }

    /// `text` with every `{id}` replaced by `id` escaped as a JSON string body, as bytes.
    static func template(_ text: String, id: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "{id}", with: JSONStringEscaper.escape(id)).utf8)
    }
}
