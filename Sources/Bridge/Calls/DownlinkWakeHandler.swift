import NIOCore

/// Sits on a NIO pipe channel that watches a call's eventfd (a `dup` of
/// ``CallPipeline/ioWakeDescriptor``) and tells the call's session when the media thread signalled:
/// downlink audio is ready, or the call retired. NIO reads the eventfd, which resets it.
///
/// - Threading: runs on the call's event loop, the same loop as the session it calls.
/// - Ownership: holds the session strongly until the channel closes (the session closes it when
///   the call is finished).
final class DownlinkWakeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let onWake: () -> Void

    init(onWake: @escaping () -> Void) { self.onWake = onWake }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onWake()
    }
}
