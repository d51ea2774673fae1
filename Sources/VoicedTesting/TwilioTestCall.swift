import Bridge
import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import NIOConcurrencyHelpers

/// One fake Twilio call over a real WebSocket, recording everything the server sends back and
/// playing it as Twilio does (``ProviderPlayback``: real-time playout, marks returned when played,
/// `clear` honoured).
///
/// - Threading: any thread; received data is kept under a mutex.
public final class TwilioTestCall: Sendable {
    /// What has come back so far.
    public struct Received: Sendable {
        /// Decoded μ-law of every `media` message, in order.
        public var audio: [UInt8] = []
        public var mediaMessages = 0
        /// Other text messages, raw (marks and clears included).
        public var otherMessages: [String] = []
        /// `mark` messages received.
        public var marks = 0
        /// For each `clear` received: how many audio bytes had arrived before it, and when (monotonic ns).
        public var clears: [(audioBytes: Int, nanos: UInt64)] = []
        /// Audio bytes played, and dropped by a `clear` before they played.
        public var playedBytes = 0
        public var clearedBytes = 0
        /// The close code the server sent, if any.
        public var closeCode: WebSocketErrorCode?
        public var closed = false
    }

    public let messages: TwilioMessages
    public let client: WebSocketClient
    private let box: ReceivedBox
    private let sequence: NIOLockedValueBox<Int>

    private init(messages: TwilioMessages, client: WebSocketClient, box: ReceivedBox, sequence: NIOLockedValueBox<Int>) {
        self.messages = messages
        self.client = client
        self.box = box
        self.sequence = sequence
    }

    /// Connects to `ws://127.0.0.1:port/path`, with `headers` on the upgrade request.
    public static func connect(port: Int, path: String = "/twilio", headers: [(String, String)] = [],
                               group: EventLoopGroup) async throws -> TwilioTestCall {
        let box = ReceivedBox()
        let messages = TwilioMessages.random()
        let sequence = NIOLockedValueBox(1)
        let client = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: path, group: group, headers: headers) { frame in
            box.handle(frame)
        }
        box.playback = ProviderPlayback(eventLoop: client.channel.eventLoop, messages: messages,
                                      nextSequence: { sequence.withLockedValue { $0 += 1; return $0 } },
                                      send: { [weak client] text in client?.send(text: text) })
        client.channel.closeFuture.whenComplete { _ in box.state.withLockedValue { $0.closed = true } }
        return TwilioTestCall(messages: messages, client: client, box: box, sequence: sequence)
    }

    public var received: Received { box.state.withLockedValue { $0 } }

    /// Next `sequenceNumber`.
    public func nextSequence() -> Int { sequence.withLockedValue { $0 += 1; return $0 } }

    public func sendConnectedAndStart(parameters: [String: String] = [:]) {
        client.send(text: messages.connected)
        client.send(text: messages.start(sequence: 1, parameters: parameters))
    }

    /// Sends `frames` as `media` messages with chunk numbers and timestamps continuing from
    /// `firstChunk`, one every `intervalMs` (0: as fast as possible).
    public func sendAudio(_ frames: [[UInt8]], firstChunk: Int = 1, intervalMs: Int = 20) async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        for (i, frame) in frames.enumerated() {
            let chunk = firstChunk + i
            client.send(text: messages.media(sequence: nextSequence(), chunk: chunk, timestampMs: (chunk - 1) * 20,
                                             base64Payload: TwilioMessages.base64(frame)))
            if intervalMs > 0 {
                let due = start + UInt64(i + 1) * UInt64(intervalMs) * 1_000_000
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try await Task.sleep(nanoseconds: due - now) }
            }
        }
    }

    public func sendStop() { client.send(text: messages.stop(sequence: nextSequence())) }
}

/// What the event loop records and the test reads.
private final class ReceivedBox: @unchecked Sendable {
    // @unchecked Sendable: `state` and `tape` are only touched under their locks; `playback` is set
    // before the first frame can arrive and then used only on the client's event loop.
    let state = NIOLockedValueBox(TwilioTestCall.Received())
    private let tape = NIOLockedValueBox(JSONTape(maxTokens: 64))
    var playback: ProviderPlayback?

    /// What one text message from the server was.
    private enum Message {
        case media([UInt8])
        case mark(String)
        case clear
        case other
    }

    func handle(_ frame: WebSocketFrame) {
        switch frame.opcode {
        case .text:
            let data = frame.unmaskedData
            let message = tape.withLockedValue { tape in data.withUnsafeReadableBytes { Self.read($0, tape) } }
            switch message {
            case let .media(audio): playback?.media(bytes: audio.count)
            case let .mark(name): playback?.mark(name)
            case .clear: playback?.clear()
            case .other: break
            }
            state.withLockedValue {
                switch message {
                case let .media(audio):
                    $0.audio += audio
                    $0.mediaMessages += 1
                case .mark:
                    $0.marks += 1
                    $0.otherMessages.append(String(buffer: data))
                case .clear:
                    $0.clears.append(($0.audio.count, DispatchTime.now().uptimeNanoseconds))
                    $0.otherMessages.append(String(buffer: data))
                case .other:
                    $0.otherMessages.append(String(buffer: data))
                }
                if let playback {
                    $0.playedBytes = playback.playedBytes
                    $0.clearedBytes = playback.clearedBytes
                }
            }
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode()
            state.withLockedValue { $0.closeCode = code }
        default:
            break
        }
    }

    private static func read(_ bytes: UnsafeRawBufferPointer, _ tape: JSONTape) -> Message {
        guard (try? tape.parse(bytes)) != nil, let event = tape.member("event", of: 0) else { return .other }
        if let payload = tape.outboundMediaPayload() {
            let raw = tape.raw(payload)
            var out = [UInt8](repeating: 0, count: Base64.maxDecodedCount(raw.count))
            guard let n = out.withUnsafeMutableBytes({ Base64.decode(raw, into: $0) }) else { return .other }
            return .media(Array(out[0..<n]))
        }
        if tape.equals(event, "mark"), let mark = tape.member("mark", of: 0), let name = tape.member("name", of: mark),
           let text = tape.string(name) {
            return .mark(text)
        }
        if tape.equals(event, "clear") { return .clear }
        return .other
    }
}
