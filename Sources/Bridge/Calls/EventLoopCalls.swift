import MediaGraph
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The calls whose sockets one event loop serves, the ``Doorbell`` media threads ring for them,
/// and the loop's one idle sweep over them.
///
/// A NIO pipe channel watches a `dup` of the doorbell's eventfd; when it is readable (NIO's read
/// resets it) every queued announcement is handed to its call. Once a second the sweep ends the
/// calls whose provider has sent no audio for the idle timeout (no timer per call).
///
/// - Threading: `start` from any thread; everything else on `eventLoop`.
/// - Ownership: the server makes one per event loop and keeps it until the media threads stopped;
///   sessions are held from `add` until `remove`.
final class EventLoopCalls {
    let eventLoop: EventLoop
    let doorbell: Doorbell
    private var sessions: [UInt64: CallSession] = [:]
    private var channel: Channel?
    private var sweep: RepeatedTask?

    init(eventLoop: EventLoop, doorbell: Doorbell) {
        self.eventLoop = eventLoop
        self.doorbell = doorbell
    }

    /// Starts watching the doorbell, and sweeping for calls idle longer than `idleTimeout`.
    func start(idleTimeout: TimeAmount) -> EventLoopFuture<Void> {
        let limit = UInt64(idleTimeout.nanoseconds)
        sweep = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            let now = MediaClock.nanos()
            for session in Array(sessions.values) { session.endIfIdle(nowNanos: now, limitNanos: limit) }
        }
        return
        NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DoorbellHandler { [self] in rung() })
                }
            }
            .takingOwnershipOfDescriptor(input: dup(doorbell.descriptor))
            .map { [self] channel in self.channel = channel }
    }

    func add(_ callID: UInt64, _ session: CallSession) {
        eventLoop.preconditionInEventLoop()
        sessions[callID] = session
    }

    func remove(_ callID: UInt64) {
        eventLoop.preconditionInEventLoop()
        sessions[callID] = nil
    }

    /// Hangs up every call still running here with `end`.
    func endAll(_ end: CallEnd) {
        eventLoop.preconditionInEventLoop()
        for session in Array(sessions.values) { session.hangUp?(end) }
    }

    func stop() {
        sweep?.cancel()
        channel?.close(promise: nil)
    }

    private func rung() {
        doorbell.drain { callID, event in sessions[callID]?.doorbellRang(event) }
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
