import MediaGraph
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Something on an event loop that media threads announce news to, by call id.
protocol DoorbellListener: AnyObject {
    /// Downlink audio is ready, or the call retired. Called on the listener's event loop.
    func doorbellRang(_ event: Doorbell.Event)
}

/// The calls whose sockets one event loop serves, and the ``Doorbell`` media threads ring for them.
///
/// A NIO pipe channel watches a `dup` of the doorbell's eventfd; when it is readable (NIO's read
/// resets it) every queued announcement is handed to its call's listener.
///
/// - Threading: `start` from any thread; everything else on `eventLoop`.
/// - Ownership: the server makes one per event loop and keeps it until the media threads stopped;
///   listeners are held from `add` until `remove`.
final class EventLoopCalls {
    let eventLoop: EventLoop
    let doorbell: Doorbell
    private var listeners: [UInt64: DoorbellListener] = [:]
    private var channel: Channel?

    init(eventLoop: EventLoop, doorbell: Doorbell) {
        self.eventLoop = eventLoop
        self.doorbell = doorbell
    }

    /// Starts watching the doorbell.
    func start() -> EventLoopFuture<Void> {
        NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DoorbellHandler { [self] in rung() })
                }
            }
            .takingOwnershipOfDescriptor(input: dup(doorbell.descriptor))
            .map { [self] channel in self.channel = channel }
    }

    func add(_ callID: UInt64, _ listener: DoorbellListener) {
        eventLoop.preconditionInEventLoop()
        listeners[callID] = listener
    }

    func remove(_ callID: UInt64) {
        eventLoop.preconditionInEventLoop()
        listeners[callID] = nil
    }

    func stop() { channel?.close(promise: nil) }

    private func rung() {
        doorbell.drain { callID, event in listeners[callID]?.doorbellRang(event) }
    }
}

/// Calls `onRead` whenever NIO reads the doorbell's eventfd.
private final class DoorbellHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let onRead: () -> Void
    init(onRead: @escaping () -> Void) { self.onRead = onRead }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { onRead() }
}

/// Finds the ``EventLoopCalls`` of a channel's event loop. Immutable after the server starts.
struct EventLoopCallsDirectory: @unchecked Sendable {
    // @unchecked Sendable: the dictionary is never mutated after init; each value is used only on
    // its own event loop.
    private let byLoop: [ObjectIdentifier: EventLoopCalls]

    init(_ all: [EventLoopCalls]) {
        byLoop = Dictionary(uniqueKeysWithValues: all.map { (ObjectIdentifier($0.eventLoop), $0) })
    }

    subscript(loop: EventLoop) -> EventLoopCalls? { byLoop[ObjectIdentifier(loop)] }
    var all: [EventLoopCalls] { Array(byLoop.values) }
}
