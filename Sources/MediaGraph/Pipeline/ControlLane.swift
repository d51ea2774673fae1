/// A command from a call's I/O thread to its media thread, applied at a frame boundary.
public enum ControlMessage: Equatable, Sendable {
    /// Drop every queued agent frame older than `epoch` (see ``CallPipeline/flushDownlink()``), reset
    /// the downlink's nodes (a resampler forgets the old speech's tail) and restart the pacing lead.
    case flushDownlink(epoch: UInt64)
}

/// A call's control lane: the I/O side's priority path to the media thread (Pipecat's system-frame
/// queue, without allocation). The media thread reads it before every downlink frame.
///
/// - Threading: `send` on the call's I/O thread (producer), `drain` on its media thread (consumer).
/// - Ownership: owned by the call's ``CallPipeline``; 16 messages deep, allocated at init.
/// - Realtime: `send` and `drain` are safe.
final class ControlLane: @unchecked Sendable {
    // @unchecked Sendable: an SPSC ring with the producer and consumer stated above.

    private enum Tag: UInt32, RingTag {
        case flushDownlink = 1
    }

    private let ring: FrameRing<Tag>

    init() throws(MediaThreadError) {
        ring = try FrameRing(slots: 16, slotBytes: 0)
    }

    /// Queues `message`. Returns false when 16 are already waiting (the media thread is stuck).
    ///
    /// - Realtime: safe (I/O thread only).
    func send(_ message: ControlMessage) -> Bool {
        switch message {
        case let .flushDownlink(epoch): ring.push(.flushDownlink, value: epoch)
        }
    }

    /// Hands every queued message to `body`, oldest first.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    func drain(_ body: (ControlMessage) -> Void) {
        while let slot = ring.peek() {
            let value = slot.pointee.value
            let tag = slot.tag(Tag.self)
            ring.release()
            switch tag {
            case .flushDownlink: body(.flushDownlink(epoch: value))
            }
        }
    }
}
