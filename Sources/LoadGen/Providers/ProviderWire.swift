import Bridge
import Foundation
import MediaGraph

/// One provider's media-socket protocol as the provider's cloud speaks it to voiced: the messages a
/// fake provider sends (opening, audio, DTMF, returned markers, stop) and how it reads what voiced
/// sends back. Written from each provider's documentation (shared/protocols.md, docs/providers.md),
/// independently of voiced's own dialects, so a test that passes means both sides agree with the
/// docs, not with each other.
///
/// - Threading: immutable values; any thread.
public protocol ProviderWire: Sendable {
    /// The provider's name in voiced (`exotel`).
    var provider: String { get }
    /// The media endpoint's path.
    var path: String { get }
    /// The call's audio as the graph has it (G.711 or little-endian PCM; a wire converts to its
    /// own byte order).
    var format: AudioFormat { get }
    /// Frames the provider puts in one `media` message (Exotel: about 100 ms).
    var framesPerMessage: Int { get }
    /// Frames the provider takes per message at least (Exotel: 5); voiced pads a shorter batch
    /// with silence at a lull, so an echo may hold whole silent frames the caller never sent.
    var minimumFramesPlayed: Int { get }
    /// The messages that open the stream (`connected`, `start`, or what stands for them).
    func opening(parameters: [String: String]) -> [ClientMessage]
    /// A message carrying `audio` as chunk `chunk` (from 1), `timestampMs` into the stream.
    func media(_ audio: [UInt8], chunk: Int, timestampMs: Int) -> ClientMessage
    /// A key press.
    func dtmf(_ digit: String) -> ClientMessage
    /// The provider ends the stream (nil: it only closes the socket).
    func stop() -> ClientMessage?
    /// What the provider sends when a marker of ours has played (nil: it has no markers).
    func markPlayed(_ name: String) -> ClientMessage?
    /// What the provider answers a flush with (nil: nothing).
    func cleared() -> ClientMessage?
    /// What one message from voiced means.
    func read(text: String) -> ServerMessage
    /// What one binary message from voiced means.
    func read(binary: [UInt8]) -> ServerMessage
}

extension ProviderWire {
    /// Bytes of one 20 ms frame, and per ms.
    public var bytesPerFrame: Int { format.bytesPerFrame }
    public var bytesPerMs: Int { bytesPerFrame / AudioFormat.frameDurationMs }
    /// The byte that is silence in the call's audio.
    public var silenceByte: UInt8 { format.silenceByte }
    public var minimumFramesPlayed: Int { 1 }

    /// Whether `audio` (what came back) is `sent`, complete and in order — allowing, where the
    /// provider takes messages of several frames, whole frames of silence voiced padded a short
    /// batch with.
    public func isEcho(_ audio: [UInt8], of sent: [[UInt8]]) -> Bool {
        guard minimumFramesPlayed > 1 else { return audio == sent.flatMap { $0 } }
        guard audio.count % bytesPerFrame == 0 else { return false }
        var next = 0
        for start in stride(from: 0, to: audio.count, by: bytesPerFrame) {
            let frame = audio[start..<(start + bytesPerFrame)]
            if next < sent.count, frame.elementsEqual(sent[next]) {
                next += 1
            } else if !frame.allSatisfy({ $0 == silenceByte }) {
                return false
            }
        }
        return next == sent.count
    }
}

/// A message a fake provider sends.
public enum ClientMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// What a message from voiced means to the provider.
public enum ServerMessage: Sendable, Equatable {
    /// Audio to play, decoded.
    case media([UInt8])
    /// A playback marker to return once what came before it has played.
    case mark(String)
    /// Drop everything queued.
    case clear
    /// Anything else (kept raw by the test client).
    case other
}

extension WebSocketClient {
    /// Sends a fake provider's message.
    public func send(_ message: ClientMessage) {
        switch message {
        case let .text(text): send(text: text)
        case let .binary(bytes): send(binary: bytes)
        }
    }
}

/// JSON helpers the wires share.
enum WireJSON {
    /// `pairs` as a JSON object of strings.
    static func object(_ pairs: [String: String]) -> String {
        "{" + pairs.sorted { $0.key < $1.key }.map { JSONStringEscaper.quoted($0.key) + ":" + JSONStringEscaper.quoted($0.value) }.joined(separator: ",") + "}"
    }

    /// Standard base64 of `bytes`.
    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// The string at `path` of nested member names in `text`, if any (Foundation's parser: the load
    /// generator's side, never the server's).
    static func string(_ text: String, _ path: [String]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        var node: Any = object
        for key in path {
            guard let dictionary = node as? [String: Any], let next = dictionary[key] else { return nil }
            node = next
        }
        return node as? String
    }

    /// The base64 audio at `path`, decoded.
    static func audio(_ text: String, _ path: [String]) -> [UInt8]? {
        string(text, path).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
    }
}
