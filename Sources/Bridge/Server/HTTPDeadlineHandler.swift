import Logging
import NIOCore
import NIOHTTP1

/// Closes an HTTP connection (before any WebSocket upgrade) that is too slow to ask: its request
/// head must be complete within ``ConnectionLimits/requestHead`` of connecting, its body within
/// ``ConnectionLimits/requestBody`` of the head, and a kept-alive connection must start its next
/// request within ``ConnectionLimits/idle`` of the last response. So a slowloris client, a TCP
/// connection that never speaks, an unsent POST body or a connection left open after an error
/// response holds a file descriptor for seconds, not forever. Counts open HTTP connections.
///
/// Sits after NIO's HTTP decoder and upgrade handler; the server removes it when a connection
/// upgrades (the media socket has its own timeouts).
///
/// - Threading: the connection's event loop.
final class HTTPDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ConnectionLimits
    private let stats: BridgeStats
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var counted = false

    init(limits: ConnectionLimits, stats: BridgeStats, logger: Logger) {
        self.limits = limits
        self.stats = stats
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        stats.httpConnectionsOpen.wrappingIncrement(ordering: .relaxed)
        arm(context: context, after: limits.requestHead, kind: "request_head")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if counted { stats.httpConnectionsOpen.wrappingDecrement(ordering: .relaxed) }
        counted = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context: context, after: limits.requestBody, kind: "request_body")
        case .body: break
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context: context, after: limits.idle, kind: "idle") }
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext, after timeout: TimeAmount, kind: String) {
        deadline?.cancel()
        let stats = stats, logger = logger
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            stats.closedByLimit(kind)
            logger.debug("HTTP connection timed out, closing", metadata: [
                "timeout": "\(kind)", "peer": "\(context.channel.remoteAddress?.description ?? "?")",
            ])
            context.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
