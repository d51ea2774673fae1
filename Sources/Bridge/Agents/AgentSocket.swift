import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// voiced's WebSocket connection to an agent (the OpenAI Realtime API, Azure Voice Live, a user's
/// bot): `ws://` or `wss://` (TLS through swift-nio-ssl, verifying the server's certificate and
/// name), extra upgrade headers (keys never reach a log), an optional subprotocol, a connect timeout
/// covering TCP, TLS and the upgrade, a message size cap, and read back-pressure.
///
/// - Threading: made on the call's event loop; every member is used only on it, and the delegate is
///   called only on it.
/// - Ownership: owns its channel; `close` (or the peer) ends it, and the delegate hears
///   `agentSocketClosed` exactly once.
/// - Realtime: not a media-thread type.
final class AgentSocket {
    /// Where an agent lives, parsed from its URL.
    struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        var tls: Bool
        var host: String
        var port: Int
        /// Path and query, as sent in the upgrade request.
        var target: String

        /// Parses `ws://` and `wss://` URLs (http(s) are accepted as their WebSocket twins). Returns
        /// nil for anything else.
        init?(url: String) {
            let schemes = ["wss://": true, "https://": true, "ws://": false, "http://": false]
            guard let (prefix, tls) = schemes.first(where: { url.lowercased().hasPrefix($0.key) }) else { return nil }
            let rest = url.dropFirst(prefix.count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let target = String(rest.dropFirst(authority.count))
            var host = String(authority)
            var port = tls ? 443 : 80
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
                port = p
                host = String(authority[..<colon])
            }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains("@") else { return nil }
            self.tls = tls
            self.host = host
            self.port = port
            self.target = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : target)
        }

        /// The URL without its query (what logs may show: a query can carry a key).
        var description: String { "\(tls ? "wss" : "ws")://\(host):\(port)\(target.prefix { $0 != "?" })" }
    }

    /// Why a connection could not be made.
    enum ConnectError: Error, CustomStringConvertible {
        case timedOut(Duration)
        case refused(String)
        case upgradeRejected(status: Int)
        case tls(String)

        var description: String {
            switch self {
            case let .timedOut(limit): "no connection within \(limit)"
            case let .refused(reason): "connection failed: \(reason)"
            case let .upgradeRejected(status): "the agent refused the WebSocket upgrade with HTTP \(status)"
            case let .tls(reason): "TLS failed: \(reason)"
            }
        }
    }

    /// What an ``AgentSocket`` reports. Called on the socket's event loop.
    protocol Delegate: AnyObject {
        /// One whole text message.
        func agentSocket(_ socket: AgentSocket, text: ByteBuffer)
        /// One whole binary message.
        func agentSocket(_ socket: AgentSocket, binary: ByteBuffer)
        /// The connection ended: the agent's close code (nil when it vanished) and why.
        func agentSocketClosed(_ socket: AgentSocket, code: WebSocketErrorCode?, reason: String)
    }

    let channel: Channel
    private let handler: FrameHandler

    private init(channel: Channel, handler: FrameHandler) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `endpoint` on `eventLoop` and completes once the WebSocket upgrade succeeded.
    /// Fails with ``ConnectError``.
    static func connect(to endpoint: Endpoint, headers: [(String, String)], subprotocol: String? = nil,
                        on eventLoop: EventLoop, tls: NIOSSLContext?, timeout: Duration, maxMessageBytes: Int,
                        delegate: Delegate) -> EventLoopFuture<AgentSocket> {
        let upgraded = eventLoop.makePromise(of: AgentSocket.self)
        let handler = FrameHandler(delegate: delegate)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    requestKey: Self.randomKey(), maxFrameSize: maxMessageBytes, automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 1024,
                                                            maxAccumulatedFrameSize: maxMessageBytes),
                                handler,
                            ])
                            let socket = AgentSocket(channel: channel, handler: handler)
                            handler.socket = socket
                            upgraded.succeed(socket)
                        }
                    })
                var requestHeaders = HTTPHeaders(headers)
                requestHeaders.add(name: "Host", value: endpoint.port == (endpoint.tls ? 443 : 80) ? endpoint.host : "\(endpoint.host):\(endpoint.port)")
                if let subprotocol { requestHeaders.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                let requester = UpgradeRequester(target: endpoint.target, headers: requestHeaders, failed: upgraded)
                let config: NIOHTTPClientUpgradeConfiguration = (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(requester, promise: nil)
                })
                return channel.eventLoop.makeCompletedFuture {
                    if endpoint.tls {
                        guard let tls else { throw ConnectError.tls("no TLS context") }
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.host))
                    }
                }.flatMap {
                    // A server may send its first message in the same read as the 101 (Realtime servers
                    // send `session.created` at once): forward those bytes to the WebSocket decoder.
                    channel.pipeline.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, withClientUpgrade: config)
                }.flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(requester)
                }
            }
        let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) { upgraded.fail(ConnectError.timedOut(timeout)) }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).whenComplete { result in
            switch result {
            case let .success(channel):
                channel.closeFuture.whenComplete { _ in upgraded.fail(ConnectError.refused("closed during the upgrade")) }
                upgraded.futureResult.whenFailure { _ in channel.close(promise: nil) }
            case let .failure(error):
                upgraded.fail(ConnectError.refused("\(error)"))
            }
        }
        upgraded.futureResult.whenComplete { _ in deadline.cancel() }
        return upgraded.futureResult.flatMapErrorThrowing { error in
            if let error = error as? NIOSSLError { throw ConnectError.tls("\(error)") }
            if let error = error as? BoringSSLError { throw ConnectError.tls("\(error)") }
            throw error
        }
    }

    /// Sends one text message (flushed).
    func send(text: ByteBuffer) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: text), promise: nil)
    }

    /// Sends one binary message (flushed).
    func send(binary: ByteBuffer) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: binary), promise: nil)
    }

    /// Stops reading the agent (its messages wait in the kernel, then in the agent): back-pressure
    /// while the call's agent queue is full.
    func pauseReading() { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }

    /// Reads the agent again.
    func resumeReading() {
        channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        channel.read()
    }

    /// Sends a close frame with `code` and closes the connection; the delegate is not told (the
    /// caller knows). Idempotent.
    func close(code: WebSocketErrorCode = .normalClosure) {
        handler.delegate = nil
        guard channel.isActive else { return }
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
            .whenComplete { [channel] _ in channel.close(promise: nil) }
    }

    private static func randomKey() -> String {
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return bytes.withUnsafeBytes { raw in
            var out = [UInt8](repeating: 0, count: 24)
            let n = out.withUnsafeMutableBytes { Base64.encode(raw, into: $0) }
            return String(decoding: out[0..<n], as: UTF8.self)
        }
    }

    /// Hands whole messages to the delegate; answers pings and close frames.
    private final class FrameHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        weak var delegate: Delegate?
        weak var socket: AgentSocket?
        private var closeCode: WebSocketErrorCode?
        private var closeReason = "the agent closed the connection without a close frame"

        init(delegate: Delegate) { self.delegate = delegate }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text: report { $0.agentSocket($1, text: frame.unmaskedData) }
            case .binary: report { $0.agentSocket($1, binary: frame.unmaskedData) }
            case .ping:
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)),
                                      promise: nil)
            case .connectionClose:
                var data = frame.unmaskedData
                closeCode = data.readWebSocketErrorCode()
                let text = data.readString(length: min(data.readableBytes, 200)) ?? ""
                closeReason = "the agent closed the connection (\(closeCode.map { "\($0)" } ?? "no code")\(text.isEmpty ? "" : ": \(text)"))"
                context.close(promise: nil)
            default:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            closeReason = "connection error: \(error)"
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            let reason = closeReason
            let code = closeCode
            report { $0.agentSocketClosed($1, code: code, reason: reason) }
            delegate = nil
            context.fireChannelInactive()
        }

        private func report(_ body: (Delegate, AgentSocket) -> Void) {
            guard let delegate, let socket else { return }
            body(delegate, socket)
        }
    }
}

/// Sends the upgrade request once the connection is up; a plain HTTP response is a refusal.
private final class UpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let target: String
    let headers: HTTPHeaders
    let failed: EventLoopPromise<AgentSocket>

    init(target: String, headers: HTTPHeaders, failed: EventLoopPromise<AgentSocket>) {
        self.target = target
        self.headers = headers
        self.failed = failed
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = headers
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(head) = unwrapInboundIn(data) {
            failed.fail(AgentSocket.ConnectError.upgradeRejected(status: Int(head.status.code)))
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failed.fail(error)
        context.close(promise: nil)
    }
}
