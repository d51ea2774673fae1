import NIOCore
import Bridge

/// Builds the messages Twilio sends (shared/protocols.md §1.2), for tests and the load generator.
///
/// - Threading: a value; any thread.
public struct TwilioMessages: Sendable {
    public let streamSid: String
    public let callSid: String

    public init(streamSid: String, callSid: String) {
        self.streamSid = streamSid
        self.callSid = callSid
    }

    /// A fresh pair of Twilio-shaped ids (`MZ`/`CA` + 32 hex).
    public static func random() -> TwilioMessages {
        func sid(_ prefix: String) -> String { prefix + (0..<32).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined() }
        return TwilioMessages(streamSid: sid("MZ"), callSid: sid("CA"))
    }

    public var connected: String { #"{"event":"connected","protocol":"Call","version":"1.0.0"}"# }

    public func start(sequence: Int = 1, parameters: [String: String] = [:], encoding: String = "audio/x-mulaw", sampleRate: Int = 8000) -> String {
        let params = parameters.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        return #"{"event":"start","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","start":{"streamSid":"\#(streamSid)","accountSid":"AC00000000000000000000000000000001","callSid":"\#(callSid)","tracks":["inbound"],"customParameters":{\#(params)},"mediaFormat":{"encoding":"\#(encoding)","sampleRate":\#(sampleRate),"channels":1}}}"#
    }

    /// A `media` message carrying `base64Payload`; `chunk` from 1, `timestamp` in ms.
    public func media(sequence: Int, chunk: Int, timestampMs: Int, base64Payload: String, streamSid: String? = nil) -> String {
        #"{"event":"media","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid ?? self.streamSid)","media":{"track":"inbound","chunk":"\#(chunk)","timestamp":"\#(timestampMs)","payload":"\#(base64Payload)"}}"#
    }

    /// The same `media` message written straight into `buffer` (no String), for the load generator.
    public func writeMedia(into buffer: inout ByteBuffer, sequence: Int, chunk: Int, timestampMs: Int, base64Payload: [UInt8]) {
        buffer.writeStaticString(#"{"event":"media","sequenceNumber":""#)
        buffer.writeString(String(sequence))
        buffer.writeStaticString(#"","streamSid":""#)
        buffer.writeString(streamSid)
        buffer.writeStaticString(#"","media":{"track":"inbound","chunk":""#)
        buffer.writeString(String(chunk))
        buffer.writeStaticString(#"","timestamp":""#)
        buffer.writeString(String(timestampMs))
        buffer.writeStaticString(#"","payload":""#)
        buffer.writeBytes(base64Payload)
        buffer.writeStaticString(#""}}"#)
    }

    public func dtmf(sequence: Int, digit: String) -> String {
        #"{"event":"dtmf","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","dtmf":{"track":"inbound_track","digit":"\#(digit)"}}"#
    }

    /// The echo of a `mark` voiced sent, as Twilio returns it once the audio before it has played.
    public func mark(sequence: Int, name: String) -> String {
        #"{"event":"mark","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","mark":{"name":"\#(JSONStringEscaper.escape(name))"}}"#
    }

    /// The same `mark` echo written straight into `buffer` (no message String), for the load generator.
    public func writeMark(into buffer: inout ByteBuffer, sequence: Int, name: String) {
        buffer.writeStaticString(#"{"event":"mark","sequenceNumber":""#)
        buffer.writeString(String(sequence))
        buffer.writeStaticString(#"","streamSid":""#)
        buffer.writeString(streamSid)
        buffer.writeStaticString(#"","mark":{"name":""#)
        if name.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            buffer.writeString(name)
        } else {
            buffer.writeString(JSONStringEscaper.escape(name))
        }
        buffer.writeStaticString(#""}}"#)
    }

    public func stop(sequence: Int) -> String {
        #"{"event":"stop","sequenceNumber":"\#(sequence)","streamSid":"\#(streamSid)","stop":{"accountSid":"AC00000000000000000000000000000001","callSid":"\#(callSid)"}}"#
    }

    /// Base64 of `bytes`.
    public static func base64(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: Base64.encodedCount(bytes.count))
        _ = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBytes { Base64.encode(raw, into: $0) } }
        return String(decoding: out, as: UTF8.self)
    }
}
