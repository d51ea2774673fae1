import Bridge
import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import NIOConcurrencyHelpers

/// One fake Twilio call over a real WebSocket, recording everything the server sends back.
///
/// - Threading: any thread; received data is kept under a mutex.
public final class TwilioTestCall: Sendable {
    /// What has come back so far.
    public struct Received: Sendable {
        /// Decoded μ-law of every `media` message, in order.
        public var audio: [UInt8] = []
        public var mediaMessages = 0
        /// Other text messages, raw.
        public var otherMessages: [String] = []
        /// The close code the server sent, if any.
        public var closeCode: WebSocketErrorCode?
        public var closed = false
    }

    public let messages: TwilioMessages
    public let client: WebSocketClient
    private let box: ReceivedBox
    private let sequence = NIOLockedValueBox(1)

    private init(messages: TwilioMessages, client: WebSocketClient, box: ReceivedBox) {
        self.messages = messages
        self.client = client
        self.box = box
    }

    /// Connects to `ws://127.0.0.1:port/path`.
    public static func connect(port: Int, path: String = "/twilio", group: EventLoopGroup) async throws -> TwilioTestCall {
        let box = ReceivedBox()
        let client = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: path, group: group) { frame in
            box.handle(frame)
        }
        client.channel.closeFuture.whenComplete { _ in box.state.withLockedValue { $0.closed = true } }
        return TwilioTestCall(messages: .random(), client: client, box: box)
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

    /// Waits until `condition` holds for what was received, or `timeout` passes. Returns the last state.
    @discardableResult
    public func wait(timeout: Duration = .seconds(10), until condition: (Received) -> Bool) async throws -> Received {
        let deadline = ContinuousClock.now + timeout
        while true {
            // The deadline is read before the state, so a task starved past it still looks once more.
            let late = ContinuousClock.now >= deadline
            let now = received
            if condition(now) || late { return now }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// What the event loop records and the test reads.
private final class ReceivedBox: @unchecked Sendable {
    // @unchecked Sendable: both members are only touched under their locks.
    let state = NIOLockedValueBox(TwilioTestCall.Received())
    private let tape = NIOLockedValueBox(JSONTape(maxTokens: 64))

    func handle(_ frame: WebSocketFrame) {
        switch frame.opcode {
        case .text:
            let data = frame.unmaskedData
            let text = String(buffer: data)
            var audio: [UInt8]?
            tape.withLockedValue { tape in
                data.withUnsafeReadableBytes { bytes in
                    guard (try? tape.parse(bytes)) != nil, let payload = tape.outboundMediaPayload() else { return }
                    let raw = tape.raw(payload)
                    var out = [UInt8](repeating: 0, count: Base64.maxDecodedCount(raw.count))
                    if let n = out.withUnsafeMutableBytes({ Base64.decode(raw, into: $0) }) { audio = Array(out[0..<n]) }
                }
            }
            state.withLockedValue {
                if let audio {
                    $0.audio += audio
                    $0.mediaMessages += 1
                } else {
                    $0.otherMessages.append(text)
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
}
