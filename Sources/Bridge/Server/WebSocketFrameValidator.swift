import Logging
import NIOCore
import NIOWebSocket

/// Fails a provider WebSocket (RFC 6455 §7.1.7) on a frame the RFC forbids and NIO's decoder lets
/// through: one without a mask, one with an RSV bit set (voiced negotiates no extension), or one with
/// a reserved opcode. It answers with a close frame, 1002, then closes, and drops every frame after.
///
/// Sits between NIO's decoder and the frame aggregator, which would lose the RSV bits of fragments
/// and pass reserved opcodes on as control frames. The decoder itself already fails fragmented or
/// over-125-byte control frames and over-long frames (`WebSocketProtocolErrorHandler`: 1002, 1009).
///
/// - Threading: every method runs on the channel's event loop.
/// - Ownership: owns nothing; counts in the server's ``BridgeStats``.
/// - Realtime: not a media-thread type; a passing frame costs a few bit tests, no allocation.
final class WebSocketFrameValidator: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let stats: BridgeStats
    private let logger: Logger
    private var failed = false

    init(stats: BridgeStats, logger: Logger) {
        self.stats = stats
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        if frame.maskKey == nil {
            fail(.unmaskedFrame, context: context)
        } else if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            fail(.reservedBits, context: context)
        } else {
            switch frame.opcode {
            case .continuation, .text, .binary, .connectionClose, .ping, .pong:
                context.fireChannelRead(data)
            default:
                fail(.reservedOpcode(UInt8(webSocketOpcode: frame.opcode)), context: context)
            }
        }
    }

    /// Counts and logs `violation`, sends a close with 1002, then closes the connection.
    private func fail(_ violation: ProviderProtocolError, context: ChannelHandlerContext) {
        failed = true
        stats.rejected(violation)
        logger.warning("WebSocket protocol violation, closing with 1002", metadata: ["reason": "\(violation)"])
        context.closeWebSocket(code: .protocolError)
    }
}
