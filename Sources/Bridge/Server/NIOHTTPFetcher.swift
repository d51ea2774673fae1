import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// voiced's own HTTP/1.1 client for its few control-plane requests (``HTTPFetching``), on the
/// server's event loops: one connection per request (`Connection: close`), TLS for `https://`
/// with the system's trust roots, a 10 s deadline, responses up to 1 MiB.
///
/// - Threading: any thread; async.
struct NIOHTTPFetcher: HTTPFetching {
    let group: EventLoopGroup
    let tls: NIOSSLContext?

    static let timeout = TimeAmount.seconds(10)
    static let maxResponseBytes = 1 << 20

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(group: EventLoopGroup, tls: NIOSSLContext? = nil) {
        self.group = group
        self.tls = tls
    }

    func get(_ url: String) async throws -> Data {
        let (status, body) = try await request("GET", url, headers: [], body: Data())
        guard (200..<300).contains(status) else { throw Failure(description: "GET \(url): status \(status)") }
        return body
    }

    func post(_ url: String, headers: [(String, String)], body: Data) async throws -> (status: Int, body: Data) {
        try await request("POST", url, headers: headers, body: body)
    }

    private func request(_ method: String, _ url: String, headers: [(String, String)], body: Data) async throws -> (status: Int, body: Data) {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
              scheme == "https" || scheme == "http" else { throw Failure(description: "not an http(s) URL: \(url)") }
        let secure = scheme == "https"
        let port = components.port ?? (secure ? 443 : 80)
        let tlsContext = secure ? try (tls ?? NIOSSLContext(configuration: .makeClientConfiguration())) : nil
        let loop = group.next()
        let response = loop.makePromise(of: (Int, Data).self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(Self.timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tlsContext, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: response, limit: Self.maxResponseBytes))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            // A promise must be completed before it goes (NIO traps on a leaked one).
            response.fail(error)
            throw error
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method),
                                   uri: components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
                                       + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        head.headers.add(name: "Host", value: components.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let deadline = loop.scheduleTask(in: Self.timeout) { response.fail(Failure(description: "\(method) \(url): no answer in 10 s")) }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        let (status, data) = try await response.futureResult.get()
        return (status, data)
    }
}

/// Collects one HTTP response (status and body) into a promise.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(Int, Data)>
    private let limit: Int
    private var status = 0
    private var body = Data()

    init(promise: EventLoopPromise<(Int, Data)>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = Int(head.status.code)
        case var .body(buffer):
            guard body.count + buffer.readableBytes <= limit else {
                promise.fail(NIOHTTPFetcher.Failure(description: "response over \(limit) bytes"))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            promise.succeed((status, body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(NIOHTTPFetcher.Failure(description: "connection closed before a whole response"))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
