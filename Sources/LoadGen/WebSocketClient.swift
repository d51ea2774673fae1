import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A minimal real WebSocket client over NIO (RFC 6455 upgrade, masked frames), for tests and the
/// load generator. It plays the provider's side of a provider socket.
///
/// - Threading: `connect` from any thread; `send…`/`close` from any thread (NIO hops to the
///   channel's loop); `onFrame` runs on the channel's event loop.
public final class WebSocketClient: @unchecked Sendable {
    // @unchecked Sendable: `channel` is set once before `connect` returns.

    public enum ClientError: Error { case upgradeFailed, badURL(String) }

    public let channel: Channel

    private init(channel: Channel) { self.channel = channel }

    /// Connects to `ws://host:port/path` and completes once the upgrade succeeded. `onFrame`
    /// receives every frame the server sends (unmasked), on the event loop. `headers` are added to
    /// the upgrade request (for example `Authorization: Bearer …` or `api-key: …`).
    public static func connect(
        host: String, port: Int, path: String, group: EventLoopGroup, headers: [(String, String)] = [],
        onFrame: @escaping @Sendable (WebSocketFrame) -> Void
    ) async throws -> WebSocketClient {
        let upgraded = group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: Self.randomKey(), maxFrameSize: 1 << 20, automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 1 << 20),
                                FrameForwarder(onFrame: onFrame),
                            ])
                            upgraded.succeed()
                        }
                    })
                let requester = UpgradeRequester(host: host, port: port, path: path, headers: headers, failed: upgraded)
                let config: NIOHTTPClientUpgradeConfiguration = (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(requester, promise: nil)
                })
                return channel.pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: config).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(requester)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            upgraded.fail(error)
            throw error
        }
        channel.closeFuture.whenComplete { _ in upgraded.fail(ClientError.upgradeFailed) }
        try await upgraded.futureResult.get()
        return WebSocketClient(channel: channel)
    }

    /// Sends one text frame.
    public func send(text buffer: ByteBuffer) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer), promise: nil)
    }

    public func send(text: String) { send(text: channel.allocator.buffer(string: text)) }

    /// Sends one binary frame.
    public func send(binary: [UInt8]) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: channel.allocator.buffer(bytes: binary)), promise: nil)
    }

    /// Closes the TCP connection at once, without a WebSocket close (a vanished peer).
    public func drop() async { try? await channel.close() }

    /// Sends a WebSocket close frame and waits for the connection to end.
    public func close() async {
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data), promise: nil)
        _ = try? await channel.closeFuture.get()
    }

    static func randomKey() -> String {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return bytes.withUnsafeBytes { raw in
            var out = [UInt8](repeating: 0, count: 24)
            let n = out.withUnsafeMutableBytes { Base64.encode(raw, into: $0) }
            return String(decoding: out[0..<n], as: UTF8.self)
        }
    }
}

import Bridge

/// Sends the upgrade request when the connection is up.
private final class UpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let host: String, port: Int, path: String
    let extraHeaders: [(String, String)]
    let failed: EventLoopPromise<Void>

    init(host: String, port: Int, path: String, headers: [(String, String)], failed: EventLoopPromise<Void>) {
        self.host = host
        self.port = port
        self.path = path
        self.extraHeaders = headers
        self.failed = failed
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    /// A plain HTTP response means the server refused the upgrade.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        failed.fail(WebSocketClient.ClientError.upgradeFailed)
        context.close(promise: nil)
    }
}

private final class FrameForwarder: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let onFrame: @Sendable (WebSocketFrame) -> Void
    init(onFrame: @escaping @Sendable (WebSocketFrame) -> Void) { self.onFrame = onFrame }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { onFrame(unwrapInboundIn(data)) }
}
