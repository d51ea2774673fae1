import MediaGraph
import NIOCore

/// The ``ConnectionLimits`` of one provider media socket: small reads; `start` within
/// ``ConnectionLimits/start``; writes that make progress within ``ConnectionLimits/writeStall``;
/// inbound messages held to ``ConnectionLimits/messagesPerSecond`` by pausing reads (TCP
/// back-pressure on the sender), and a socket that keeps the pauses coming
/// (``ConnectionLimits/floodPauses`` within ten seconds) taken for a flood. (A started call that
/// sends no audio is ended by its event loop's idle sweep, ``EventLoopCalls``.) A limit that runs
/// out is reported to `exceeded` once, with its kind and a reason; the socket closes.
///
/// - Threading: every method runs on the socket's event loop.
/// - Ownership: owned by the ``ProviderSocket``; cancels its timers in `closed()`.
/// - Realtime: not a media-thread type.
final class MediaSocketLimits {
    /// Bytes read from the socket at a time: a provider's messages are a few hundred bytes, and a
    /// flood read 64 KiB at a time would make the event loop parse hundreds of them before serving
    /// the next call.
    static let readBytes = 4096
    /// The window in which read pauses are counted.
    static let floodWindowNanos: UInt64 = 10_000_000_000

    private let limits: ConnectionLimits
    private let stats: BridgeStats
    private let exceeded: (_ kind: String, _ reason: String) -> Void
    private var startDeadline: Scheduled<Void>?
    private var stallDeadline: Scheduled<Void>?
    private var resumeReads: Scheduled<Void>?
    /// Set once a limit ran out: nothing more is reported.
    private var tripped = false
    private var rate: MessageRateLimiter
    private var readsPaused = false
    private var recentPauses = 0
    private var pauseWindowStart: UInt64 = 0

    init(limits: ConnectionLimits, stats: BridgeStats, exceeded: @escaping (_ kind: String, _ reason: String) -> Void) {
        self.limits = limits
        self.stats = stats
        self.exceeded = exceeded
        rate = MessageRateLimiter(ratePerSecond: limits.messagesPerSecond, burst: limits.messageBurst)
    }

    private func trip(_ kind: String, _ reason: String) {
        guard !tripped else { return }
        tripped = true
        exceeded(kind, reason)
    }

    /// The socket upgraded: small reads from now on, and `start` is due.
    func opened(_ context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.readBytes))
            .whenComplete { _ in }
        let limit = limits.start
        startDeadline = context.eventLoop.scheduleTask(in: limit) { [weak self] in
            self?.trip("start", "no 'start' within \(limit.nanoseconds / 1_000_000_000) s")
        }
    }

    /// `start` arrived.
    func started() {
        startDeadline?.cancel()
        startDeadline = nil
    }

    /// A message arrived at `now`: over the rate, reads pause until the bucket holds a tenth of its burst
    /// again (the message in hand is still handled; what follows waits in TCP).
    func messageArrived(_ context: ChannelHandlerContext, atNanos now: UInt64) {
        guard !rate.take(nowNanos: now), !readsPaused, !tripped else { return }
        if now &- pauseWindowStart > Self.floodWindowNanos {
            pauseWindowStart = now
            recentPauses = 0
        }
        recentPauses += 1
        guard recentPauses <= limits.floodPauses else {
            trip("message_flood", "over \(limits.messagesPerSecond) messages a second, again and again")
            return
        }
        readsPaused = true
        stats.readPauses.wrappingIncrement(ordering: .relaxed)
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let wait = TimeAmount.nanoseconds(Int64(rate.nanosUntil(max(1, limits.messageBurst / 10))))
        resumeReads = context.eventLoop.scheduleTask(in: wait) { [weak self] in
            guard let self else { return }
            readsPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    /// Writability changed: unwritable arms the stall deadline, writable disarms it.
    func writabilityChanged(_ context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline?.cancel()
            stallDeadline = nil
        } else if stallDeadline == nil {
            let limit = limits.writeStall
            stallDeadline = context.eventLoop.scheduleTask(in: limit) { [weak self] in
                guard !context.channel.isWritable else { return }
                self?.trip("write_stall", "the provider read nothing for \(limit.nanoseconds / 1_000_000_000) s")
            }
        }
    }

    /// The socket is going: no timer may fire for it.
    func closed() {
        tripped = true
        startDeadline?.cancel()
        stallDeadline?.cancel()
        resumeReads?.cancel()
    }
}
