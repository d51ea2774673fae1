import NIOCore
import NIOHTTP1

/// Answers plain HTTP requests on the shared port — the control plane and the providers' webhooks
/// (``Routes``) — and refused media upgrades (the ``UpgradeGate``'s answer: 403 or 503); WebSocket
/// upgrades that pass never reach it.
/// A body is gathered up to ``maxBodyBytes``; a larger one is answered with 413 and the connection
/// closed.
///
/// - Threading: runs on the connection's event loop.
final class ControlHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest request body read (webhooks are a few KB).
    static let maxBodyBytes = 1 << 16

    private let routes: Routes
    private let gate: UpgradeGate
    private var request: HTTPRequest?
    private var tooLarge = false
    /// The dashboard's event stream, once this connection asked for it (it then serves nothing else).
    private var feed: DashboardFeed?

    init(routes: Routes, gate: UpgradeGate) {
        self.routes = routes
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, remoteAddress: context.channel.remoteAddress)
            tooLarge = false
        case var .body(buffer):
            guard request != nil, !tooLarge else { return }
            if request!.body.count + buffer.readableBytes > Self.maxBodyBytes {
                tooLarge = true
            } else {
                request!.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let request else { return }
            self.request = nil
            guard !tooLarge else {
                write(.text(413, "request body over \(Self.maxBodyBytes) bytes\n"), close: true, context: context)
                return
            }
            if let refusal = gate.refusal {
                gate.refusal = nil
                write(refusal, close: false, context: context)
                return
            }
            if request.method == .GET, request.path == DashboardFeed.path, feed == nil {
                let feed = DashboardFeed()
                self.feed = feed
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                feed.start(on: context.eventLoop, write: { part, flush in
                    let (handler, context) = bound.value
                    if flush { context.writeAndFlush(handler.wrapOutboundOut(part), promise: nil) } else { context.write(handler.wrapOutboundOut(part), promise: nil) }
                }, snapshot: { [routes] in routes.state.dashboardJSON() })
                return
            }
            // A webhook may wait on a key fetch: answered when ready (most are at once). NIO's
            // pipelining handler holds the connection's next request until this one is answered.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            routes.respond(to: request, on: context.eventLoop).whenSuccess { reply in
                let (handler, context) = bound.value
                handler.write(reply, close: false, context: context)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        feed?.stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        feed?.stop()
        context.fireChannelInactive()
    }

    /// Writes `reply`, closing the connection after it when `close`.
    private func write(_ reply: HTTPReply, close: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: reply.contentType)
        headers.add(name: "Content-Length", value: "\(reply.body.utf8.count)")
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        if close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: reply.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reply.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if close { context.close(promise: nil) } }
    }
}
