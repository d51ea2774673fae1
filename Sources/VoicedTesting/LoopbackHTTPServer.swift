import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain HTTP/1.1 server on 127.0.0.1 whose every request a closure answers: the skeleton of
/// the fakes that stand in for clouds voiced cannot reach from here (``FakeACS``).
///
/// - Threading: the closure runs on the server's event loop, one request at a time per connection.
public final class LoopbackHTTPServer: Sendable {
    /// A request as the fake sees it.
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: [UInt8]

        /// The first header named `name` (case-insensitive).
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    public typealias Handler = @Sendable (Request) -> (status: Int, contentType: String, body: [UInt8])

    public let port: Int
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup

    public init(handler: @escaping Handler) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let handler: Handler
        var request: Request?

        init(handler: @escaping Handler) { self.handler = handler }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                request = Request(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: [])
            case var .body(buffer):
                request?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let request else { return }
                let reply = handler(request)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: reply.contentType)
                headers.add(name: "Content-Length", value: "\(reply.body.count)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: reply.status), headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                self.request = nil
            }
        }
    }
}
