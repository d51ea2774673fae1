import Bridge
import Dispatch
import LoadGen
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket

/// One fake call of any provider (a ``ProviderWire``) over a real WebSocket, recording everything
/// the server sends back and playing it as the provider does (``ProviderPlayback``: real-time
/// playout, markers returned when played, flushes honoured and acknowledged where the provider does).
///
/// - Threading: any thread; received data is kept under a mutex.
public final class ProviderTestCall: Sendable {
    /// What has come back so far.
    public struct Received: Sendable {
        /// Decoded audio of every media message, in order (the provider's format).
        public var audio: [UInt8] = []
        /// Bytes of each media message, in order.
        public var messageSizes: [Int] = []
        public var marks = 0
        /// For each flush: how many audio bytes had arrived before it, and when (monotonic ns).
        public var clears: [(audioBytes: Int, nanos: UInt64)] = []
        /// Audio bytes played, and dropped by a flush before they played.
        public var playedBytes = 0
        public var clearedBytes = 0
        /// Messages that were neither audio, marker nor flush, raw.
        public var otherMessages: [String] = []
        public var closeCode: WebSocketErrorCode?
        public var closed = false
    }

    public let wire: any ProviderWire
    public let client: WebSocketClient
    private let box: ProviderReceivedBox

    private init(wire: any ProviderWire, client: WebSocketClient, box: ProviderReceivedBox) {
        self.wire = wire
        self.client = client
        self.box = box
    }

    /// Connects to `ws://127.0.0.1:port` + `wire.path` + `suffix`, with `headers` on the upgrade request.
    public static func connect(port: Int, wire: any ProviderWire, suffix: String = "", headers: [(String, String)] = [],
                               group: EventLoopGroup) async throws -> ProviderTestCall {
        let box = ProviderReceivedBox(wire: wire)
        let client = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: wire.path + suffix, group: group,
                                                       headers: headers) { frame in
            box.handle(frame)
        }
        box.client = client
        box.playback = ProviderPlayback(eventLoop: client.channel.eventLoop, bytesPerMs: wire.bytesPerMs) { [weak client] name in
            if let reply = wire.markPlayed(name) { client?.send(reply) }
        }
        client.channel.closeFuture.whenComplete { _ in box.state.withLockedValue { $0.closed = true } }
        return ProviderTestCall(wire: wire, client: client, box: box)
    }

    public var received: Received { box.state.withLockedValue { $0 } }

    public func send(_ message: ClientMessage) { client.send(message) }

    /// Sends the messages that open the stream.
    public func open(parameters: [String: String] = [:]) {
        for message in wire.opening(parameters: parameters) { client.send(message) }
    }

    /// Sends `frames` (20 ms each, the call's format) as the provider does — `framesPerMessage` per
    /// message, one message every `framesPerMessage × intervalMs` (0: as fast as possible) — the
    /// first being frame `firstFrame` of the stream (chunks are numbered per message, timestamps
    /// per frame). `order` reorders the messages (indices into the message list), as a network that
    /// does not keep order would.
    public func sendAudio(_ frames: [[UInt8]], firstFrame: Int = 1, intervalMs: Int = 20, order: [Int]? = nil) async throws {
        let per = wire.framesPerMessage
        let messages = stride(from: 0, to: frames.count, by: per).map { start -> ClientMessage in
            let chunk = (firstFrame - 1) / per + start / per + 1
            return wire.media(frames[start..<min(start + per, frames.count)].flatMap { $0 }, chunk: chunk,
                              timestampMs: (firstFrame - 1 + start) * 20)
        }
        let begin = DispatchTime.now().uptimeNanoseconds
        for (i, index) in (order ?? Array(messages.indices)).enumerated() {
            client.send(messages[index])
            if intervalMs > 0 {
                let due = begin + UInt64(i + 1) * UInt64(per * intervalMs) * 1_000_000
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { try await Task.sleep(nanoseconds: due - now) }
            }
        }
    }

    /// The provider ends the stream: its `stop`, or closing the socket where it has none.
    public func sendStop() async {
        if let stop = wire.stop() { client.send(stop) } else { await client.close() }
    }
}

/// What the event loop records and the test reads.
private final class ProviderReceivedBox: @unchecked Sendable {
    // @unchecked Sendable: `state` is only touched under its lock; `playback` and `client` are set
    // before the first frame can arrive and then used only on the client's event loop.
    let state = NIOLockedValueBox(ProviderTestCall.Received())
    let wire: any ProviderWire
    var playback: ProviderPlayback?
    weak var client: WebSocketClient?

    init(wire: any ProviderWire) { self.wire = wire }

    func handle(_ frame: WebSocketFrame) {
        let data = frame.unmaskedData
        let message: ServerMessage
        switch frame.opcode {
        case .text: message = wire.read(text: String(buffer: data))
        case .binary: message = wire.read(binary: Array(buffer: data))
        case .connectionClose:
            var data = data
            let code = data.readWebSocketErrorCode()
            state.withLockedValue { $0.closeCode = code }
            return
        default: return
        }
        switch message {
        case let .media(audio): playback?.media(bytes: audio.count)
        case let .mark(name): playback?.mark(name)
        case .clear:
            playback?.clear()
            if let ack = wire.cleared() { client?.send(ack) }
        case .other: break
        }
        state.withLockedValue {
            switch message {
            case let .media(audio):
                $0.audio += audio
                $0.messageSizes.append(audio.count)
            case .mark: $0.marks += 1
            case .clear: $0.clears.append(($0.audio.count, DispatchTime.now().uptimeNanoseconds))
            case .other: $0.otherMessages.append(String(buffer: data))
            }
            if let playback {
                $0.playedBytes = playback.playedBytes
                $0.clearedBytes = playback.clearedBytes
            }
        }
    }
}
