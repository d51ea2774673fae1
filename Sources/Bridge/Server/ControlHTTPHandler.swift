import NIOCore
import NIOHTTP1

/// Answers plain HTTP requests (control plane) on the shared port; WebSocket upgrades never reach it.
///
/// - Threading: runs on the connection's event loop.
final class ControlHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: Routes
    private var uri: String?

    init(routes: Routes) { self.routes = routes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            uri = head.method == .GET ? head.uri : nil
        case .body:
            break
        case .end:
            let (status, contentType, body) = uri.map(routes.respond(to:)) ?? (405, "text/plain", "only GET is served here\n")
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            uri = nil
        }
    }
}
