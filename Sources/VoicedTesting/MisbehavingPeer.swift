import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 that accepts connections and then misbehaves as a broken agent does:
/// says nothing at all (a WebSocket upgrade or TLS handshake never answered), or resets the
/// connection (RST) as soon as the client speaks (a TLS handshake torn down).
///
/// - Threading: any thread; its event loop does the work.
public final class MisbehavingPeer: Sendable {
    public enum Behaviour: Sendable {
        /// Accepts, reads, never writes.
        case silent
        /// Accepts, and resets the connection at the first bytes it receives.
        case resetOnFirstBytes
    }

    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    public init(_ behaviour: Behaviour) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    public func stop() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let behaviour: Behaviour

        init(behaviour: Behaviour) { self.behaviour = behaviour }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .resetOnFirstBytes = behaviour else { return }
            // SO_LINGER with a zero timeout: close sends RST, not FIN.
            let channel = context.channel
            guard let options = channel as? SocketOptionProvider else { return channel.close(promise: nil) }
            options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
