import NIOCore
import NIOWebSocket

extension ChannelHandlerContext {
    /// Fails or ends a WebSocket politely: writes a close frame carrying `code`, then closes the
    /// connection once it is written (RFC 6455 §7.1.7) — or after ``closeGrace`` if the peer does
    /// not read it.
    ///
    /// - Threading: the channel's event loop; the handler calling it must write ``WebSocketFrame``s.
    func closeWebSocket(code: WebSocketErrorCode) {
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        let channel = channel
        let forced = eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
        writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in
                forced.cancel()
                channel.close(promise: nil)
            }
    }

    /// How long a close frame may wait for a peer that does not read before the socket is closed.
    static var closeGrace: TimeAmount { .seconds(2) }
}

extension NIOWebSocketFrameAggregator.Error {
    /// The close code for a message the aggregator could not put together: 1009 when it is too
    /// big, 1002 for fragments out of order (RFC 6455 §5.4, §7.4.1).
    var closeCode: WebSocketErrorCode {
        switch self {
        case .accumulatedFrameSizeIsTooLarge, .tooManyFragments: .messageTooLarge
        default: .protocolError
        }
    }
}
