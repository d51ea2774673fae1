import Foundation
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// Waits until `condition` holds, for at most `timeout` (checked once more after it: the task may
/// have been starved past the deadline).
public func until(timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
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
public final class RawSocket: ChannelInboundHandler, Sendable {
    public typealias InboundIn = ByteBuffer

    public struct Timeout: Error {}
    /// The server answered the upgrade request with something other than 101.
    public struct NotUpgraded: Error {
        public var response: String
    }

    /// Everything the server sent, and whether it closed the connection.
    public struct Received: Sendable {
        public var bytes: [UInt8] = []
        public var closed = false
    }

    private let received = NIOLockedValueBox(Received())
    private let channel = NIOLockedValueBox<Channel?>(nil)

    private static let handshakeEnd = Array("\r\n\r\n".utf8)

    /// Connected to the daemon on `port`, not yet upgraded.
    public static func connect(port: Int) async throws -> RawSocket {
        let socket = RawSocket()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(socket) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        socket.channel.withLockedValue { $0 = channel }
        return socket
    }

    /// Connected to `/twilio` and upgraded (the server answered 101).
    public static func upgraded(port: Int) async throws -> RawSocket {
        let socket = try await connect(port: port)
        socket.send(Array(("GET /twilio HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        let head = try await socket.wait { received in
            received.bytes.firstRange(of: handshakeEnd).map { String(decoding: received.bytes[..<$0.lowerBound], as: UTF8.self) }
        }
        guard head.hasPrefix("HTTP/1.1 101") else { throw NotUpgraded(response: head) }
        return socket
    }

    /// An HTTP response: status, headers (names lowercased) and body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One plain HTTP/1.1 request over a fresh connection; the response once its body (by
    /// `Content-Length`) has arrived.
    public static func request(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [],
                               body: [UInt8] = []) async throws -> Response {
        let socket = try await connect(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        socket.send(Array((head + "\r\n").utf8) + body)
        let response = try await socket.wait { received -> Response? in
            guard let end = received.bytes.firstRange(of: handshakeEnd) else { return nil }
            let lines = String(decoding: received.bytes[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2 { fields[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
            let length = Int(fields["content-length"] ?? "0") ?? 0
            guard received.bytes.count - end.upperBound >= length,
                  let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
            return Response(status: status, headers: fields, body: Array(received.bytes[end.upperBound..<(end.upperBound + length)]))
        }
        socket.channel.withLockedValue { $0?.close(promise: nil) }
        return response
    }

    /// `/stats` → `rejectionsByReason`, over a plain HTTP GET.
    public static func rejections(port: Int) async throws -> [String: UInt64] {
        struct Stats: Decodable { var rejectionsByReason: [String: UInt64] }
        return try JSONDecoder().decode(Stats.self, from: Data(try await request(port: port, path: "/stats").body)).rejectionsByReason
    }

    /// Stops reading from the socket (a provider that no longer reads): the server's writes then
    /// fill the socket buffers.
    public func stopReading() async throws {
        try await channel.withLockedValue { $0 }?.setOption(ChannelOptions.autoRead, value: false).get()
    }

    /// Closes the connection from this side.
    public func close() async {
        try? await channel.withLockedValue { $0 }?.close()
    }

    /// Whether the server has closed the connection.
    public var isClosed: Bool { received.withLockedValue { $0.closed } }

    public func send(_ bytes: [UInt8]) {
        channel.withLockedValue { $0?.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
    }

    /// Waits until the server closed the connection (or 30 s passed); returns the code of the close
    /// frame it sent after the upgrade (nil: none, or one without a code) and whether it closed.
    public func waitForClose() async throws -> (code: UInt16?, closedByServer: Bool) {
        let closed = try? await wait { $0.closed ? true : nil }
        let bytes = received.withLockedValue { $0.bytes }
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
    public func wait<T>(_ check: (Received) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let late = ContinuousClock.now >= deadline
            if let value = received.withLockedValue({ check($0) }) { return value }
            if late { throw Timeout() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: ChannelInboundHandler

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.withLockedValue { $0.bytes += buffer.readableBytesView }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        received.withLockedValue { $0.closed = true }
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Frames

    /// One client frame: `first` holds FIN, RSV and the opcode; the payload is masked unless `masked`
    /// is false.
    public static func frame(_ first: UInt8, _ payload: [UInt8], masked: Bool = true) -> [UInt8] {
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
    public static func text(_ message: String) -> [UInt8] { frame(.fin | .text, Array(message.utf8)) }

    /// A close frame's payload: the code, big-endian, then the reason.
    public static func closePayload(_ code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }
}

/// The first byte of a frame, spelled out.
public extension UInt8 {
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
