import Bridge
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VoicedTesting

/// RFC 6455 on the provider socket: the daemon on loopback, driven by a client that writes frames by
/// hand, fails a connection that breaks framing (1002), sends text that is not UTF-8 (1007) or a bad
/// close (1002/1007), answers a good close with its own code, counts each kind in `/stats` and lets a
/// well-formed call through.
@Suite struct WebSocketStrictnessTests {
    /// Each violation gets a close with 1002 and the server's close of the socket; the `connected` and
    /// `start` written behind it in the same packet are dropped, so no call starts.
    @Test func framingViolationsFailTheConnectionWith1002() async throws {
        let server = try await TestServer()
        let connected = Array(TwilioMessages.random().connected.utf8)
        let cases: [(String, [UInt8])] = [
            ("unmasked text", RawSocket.frame(.fin | .text, connected, masked: false)),
            ("unmasked close", RawSocket.frame(.fin | .close, RawSocket.closePayload(1000), masked: false)),
            ("RSV1", RawSocket.frame(.fin | .rsv1 | .text, connected)),
            ("RSV2", RawSocket.frame(.fin | .rsv2 | .binary, [1, 2, 3])),
            ("RSV3 on a ping", RawSocket.frame(.fin | .rsv3 | .ping, [])),
            ("opcode 0x3", RawSocket.frame(.fin | 0x3, connected)),
            ("opcode 0x7 unfinished", RawSocket.frame(0x7, connected)),
            ("opcode 0xB", RawSocket.frame(.fin | 0xB, [])),
            ("opcode 0xF", RawSocket.frame(.fin | 0xF, [9])),
            // NIO's decoder fails these two itself.
            ("fragmented ping", RawSocket.frame(.ping, [1])),
            ("126-byte ping", RawSocket.frame(.fin | .ping, [UInt8](repeating: 0x61, count: 126))),
        ]
        for (name, bad) in cases {
            let socket = try await RawSocket.upgraded(port: server.port)
            let messages = TwilioMessages.random()
            socket.send(bad + RawSocket.text(messages.connected) + RawSocket.text(messages.start()))
            let end = try await socket.waitForClose()
            #expect(end.code == 1002, "\(name)")
            #expect(end.closedByServer, "\(name)")
        }
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == 0, "nothing after a violation is read")
        #expect(try await RawSocket.rejections(port: server.port) == [
            "ws_unmasked": 2, "ws_reserved_bits": 3, "ws_reserved_opcode": 4,
        ])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    @Test func textThatIsNotUTF8ClosesWith1007() async throws {
        let server = try await TestServer()
        let bad: [(String, [UInt8])] = [
            ("overlong '/'", [0xC0, 0xAF]),
            ("lone continuation", [0x80]),
            ("surrogate U+D800", [0xED, 0xA0, 0x80]),
            ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("0xF5 lead", [0xF5, 0x80, 0x80, 0x80]),
            ("truncated 3-byte form", [0xE2, 0x82]),
        ]
        for (name, bytes) in bad {
            let socket = try await RawSocket.upgraded(port: server.port)
            socket.send(RawSocket.frame(.fin | .text, Array(#"{"event":"connected","protocol":""#.utf8) + bytes + Array(#""}"#.utf8)))
            let end = try await socket.waitForClose()
            #expect(end.code == 1007, "\(name)")
            #expect(end.closedByServer, "\(name)")
        }
        // A call in progress ends the same way.
        let socket = try await RawSocket.upgraded(port: server.port)
        socket.send(RawSocket.text(TwilioMessages.random().start()))
        try await until { server.server.registry.count == 1 }
        socket.send(RawSocket.frame(.fin | .text, [0x22, 0xFF, 0x22]))
        let end = try await socket.waitForClose()
        #expect(end.code == 1007 && end.closedByServer)
        #expect(try await RawSocket.rejections(port: server.port) == ["ws_bad_utf8": 7])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        try await server.stop()
    }

    /// RFC 6455 §5.5.1 and §7.4: a close is answered with its own code; a code that may not be sent or
    /// a 1-byte payload with 1002, a reason that is not UTF-8 with 1007.
    @Test func closesAreAnsweredWithTheirCodeOrFailed() async throws {
        let server = try await TestServer()
        let cases: [(payload: [UInt8], answer: UInt16)] = [
            ([], 1000),
            (RawSocket.closePayload(1000), 1000),
            (RawSocket.closePayload(1001, reason: Array("bye".utf8)), 1001),
            (RawSocket.closePayload(1003), 1003),
            (RawSocket.closePayload(1007), 1007),
            (RawSocket.closePayload(1014), 1014),
            (RawSocket.closePayload(3000, reason: Array("fin de l’appel".utf8)), 3000),
            (RawSocket.closePayload(4999), 4999),
            (RawSocket.closePayload(999), 1002),
            (RawSocket.closePayload(1004), 1002),
            (RawSocket.closePayload(1005), 1002),
            (RawSocket.closePayload(1006), 1002),
            (RawSocket.closePayload(1015), 1002),
            (RawSocket.closePayload(1016), 1002),
            (RawSocket.closePayload(2999), 1002),
            (RawSocket.closePayload(5000), 1002),
            ([0x03], 1002),
            (RawSocket.closePayload(1000, reason: [0x6F, 0x6B, 0xC3, 0x28]), 1007),
        ]
        for (payload, answer) in cases {
            let socket = try await RawSocket.upgraded(port: server.port)
            socket.send(RawSocket.frame(.fin | .close, payload))
            let end = try await socket.waitForClose()
            #expect(end.code == answer, "close payload \(payload)")
            #expect(end.closedByServer, "close payload \(payload)")
        }
        #expect(try await RawSocket.rejections(port: server.port) == ["ws_bad_close_code": 9, "ws_bad_utf8": 1])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// Masked frames with no reserved bits pass: `connected` fragmented in the middle of a 4-byte
    /// character (checked once whole, not per fragment), `start`, media, and a close with 1000.
    @Test func aWellFormedCallStillWorks() async throws {
        let server = try await TestServer()
        let socket = try await RawSocket.upgraded(port: server.port)
        let messages = TwilioMessages.random()
        let connected = Array(#"{"event":"connected","protocol":"Call","version":"1.0.0","note":"📞"}"#.utf8)
        let split = connected.count - 4 // inside the emoji
        socket.send(RawSocket.frame(.text, Array(connected[..<split])) + RawSocket.frame(.fin | .continuation, Array(connected[split...])))
        socket.send(RawSocket.text(messages.start()))
        socket.send(RawSocket.text(messages.media(sequence: 2, chunk: 1, timestampMs: 0,
                                                   base64Payload: TwilioMessages.base64([UInt8](repeating: 0xFF, count: 160)))))
        try await until { server.server.stats.framesIn.load(ordering: .relaxed) >= 1 }
        #expect(server.server.registry.count == 1)
        socket.send(RawSocket.frame(.fin | .close, RawSocket.closePayload(1000)))
        let end = try await socket.waitForClose()
        #expect(end.code == 1000 && end.closedByServer)
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        #expect(try await RawSocket.rejections(port: server.port) == [:])
        try await server.stop()
    }

    /// The validator agrees with the standard library's UTF-8 validation on byte strings mixing
    /// well-formed characters of every length with bytes at the edges of the forms, around the ASCII
    /// fast path's 8-byte steps.
    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
                              0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        let characters = ["a", "é", "ß", "€", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "😀", "\u{10000}", "\u{10FFFF}"].map { Array($0.utf8) }
        var random = SplitMix64(seed: 6455)
        var valid = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<12, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes.append(edges.randomElement(using: &random)!)
                case 1: bytes += [UInt8](repeating: 0x41, count: Int.random(in: 1...9, using: &random))
                default: bytes += characters.randomElement(using: &random)!
                }
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if expected { valid += 1 }
            let got = bytes.withUnsafeBytes(UTF8Validation.isValid)
            #expect(got == expected, "\(bytes.map { String($0, radix: 16) })")
            if got != expected { return }
        }
        #expect(valid > 2_000 && valid < 18_000, "both kinds were tried")
    }
}

/// Waits until `condition` holds, for at most `timeout` (checked once more after it: the task may
/// have been starved past the deadline).
private func until(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        let late = ContinuousClock.now >= deadline
        if condition() { return }
        if late { throw RawSocket.Timeout() }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// A provider connection over plain TCP that speaks WebSocket by hand: the HTTP upgrade, then frames
/// built byte by byte (masked or not, any bits, any opcode), so a test can send what no WebSocket
/// library would. It records what the server sends and whether the server closed the connection.
private final class RawSocket: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    struct Timeout: Error {}

    private struct Received {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let received = Mutex(Received())
    private let channel = Mutex<Channel?>(nil)

    private static let handshakeEnd = Array("\r\n\r\n".utf8)

    /// Connected to the daemon on `port`, not yet upgraded.
    static func connect(port: Int) async throws -> RawSocket {
        let socket = RawSocket()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(socket) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        socket.channel.withLock { $0 = channel }
        return socket
    }

    /// Connected to `/twilio` and upgraded (the server answered 101).
    static func upgraded(port: Int) async throws -> RawSocket {
        let socket = try await connect(port: port)
        socket.send(Array(("GET /twilio HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        let head = try await socket.wait { received in
            received.bytes.firstRange(of: handshakeEnd).map { String(decoding: received.bytes[..<$0.lowerBound], as: UTF8.self) }
        }
        #expect(head.hasPrefix("HTTP/1.1 101"), "\(head)")
        return socket
    }

    /// `/stats` → `rejectionsByReason`, over a plain HTTP GET.
    static func rejections(port: Int) async throws -> [String: UInt64] {
        struct Stats: Decodable { var rejectionsByReason: [String: UInt64] }
        let socket = try await connect(port: port)
        socket.send(Array("GET /stats HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
        let body = try await socket.wait { received -> [UInt8]? in
            guard let end = received.bytes.firstRange(of: handshakeEnd) else { return nil }
            let head = String(decoding: received.bytes[..<end.lowerBound], as: UTF8.self).lowercased()
            guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                  let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
                  received.bytes.count - end.upperBound >= length else { return nil }
            return Array(received.bytes[end.upperBound..<(end.upperBound + length)])
        }
        socket.channel.withLock { $0?.close(promise: nil) }
        return try JSONDecoder().decode(Stats.self, from: Data(body)).rejectionsByReason
    }

    func send(_ bytes: [UInt8]) {
        channel.withLock { $0?.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
    }

    /// Waits until the server closed the connection (or 30 s passed); returns the code of the close
    /// frame it sent after the upgrade (nil: none, or one without a code) and whether it closed.
    func waitForClose() async throws -> (code: UInt16?, closedByServer: Bool) {
        let closed = try? await wait { $0.closed ? true : nil }
        let bytes = received.withLock { $0.bytes }
        var code: UInt16?
        guard var i = bytes.firstRange(of: Self.handshakeEnd)?.upperBound else { return (code, closed == true) }
        // Server frames are unmasked: opcode, length (7 bits, or 126 + 16 bits), payload.
        while i + 2 <= bytes.count {
            var length = Int(bytes[i + 1] & 0x7F), start = i + 2
            if length == 126, i + 4 <= bytes.count {
                length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
                start = i + 4
            }
            guard start + length <= bytes.count else { break }
            if bytes[i] & 0x0F == 0x8, length >= 2 { code = UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1]) }
            i = start + length
        }
        return (code, closed == true)
    }

    /// Polls what was received until `check` returns a value, for at most 30 s.
    private func wait<T>(_ check: (Received) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let late = ContinuousClock.now >= deadline
            if let value = received.withLock({ check($0) }) { return value }
            if late { throw Timeout() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: ChannelInboundHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLock { $0.bytes += buffer.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.withLock { $0.closed = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Frames

    /// One client frame: `first` holds FIN, RSV and the opcode; the payload is masked unless `masked`
    /// is false.
    static func frame(_ first: UInt8, _ payload: [UInt8], masked: Bool = true) -> [UInt8] {
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        let maskBit: UInt8 = masked ? 0x80 : 0
        var out = [first]
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        guard masked else { return out + payload }
        return out + key + payload.enumerated().map { $1 ^ key[$0 % 4] }
    }

    /// A whole masked text message.
    static func text(_ message: String) -> [UInt8] { frame(.fin | .text, Array(message.utf8)) }

    /// A close frame's payload: the code, big-endian, then the reason.
    static func closePayload(_ code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }
}

/// The first byte of a frame, spelled out.
private extension UInt8 {
    static let fin: UInt8 = 0x80
    static let rsv1: UInt8 = 0x40
    static let rsv2: UInt8 = 0x20
    static let rsv3: UInt8 = 0x10
    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
}
