/// A command from a call's I/O thread to its media thread, applied at a frame boundary.
public enum ControlMessage: Equatable, Sendable {
    /// Drop every queued agent frame older than `epoch` (see ``CallPipeline/flushDownlink(bargeIn:)``),
    /// tell the downlink's nodes (``NodeControl/flush``: a resampler forgets the old speech's tail)
    /// and restart the pacing lead; for a barge-in, tell the uplink's nodes too (``NodeControl/bargeIn``).
    case flushDownlink(epoch: UInt64, bargeIn: Bool)
    /// Deliver a changed setting to the nodes it names (``CallPipeline/setNodeSetting(_:)``).
    case setting(NodeSetting)
}

/// A call's control lane: the I/O side's priority path to the media thread (Pipecat's system-frame
/// queue, without allocation). The media thread reads it before every downlink frame.
///
/// - Threading: `send` on the call's I/O thread (producer), `drain` on its media thread (consumer).
/// - Ownership: owned by the call's ``CallPipeline``; 16 messages deep, allocated at init (a slot
///   holds a ``NodeSetting`` inline).
/// - Realtime: `send` and `drain` are safe.
final class ControlLane: @unchecked Sendable {
    // @unchecked Sendable: an SPSC ring with the producer and consumer stated above.

    private enum Tag: UInt32, RingTag {
        case flushDownlink = 1
        case flushDownlinkForBargeIn = 2
        case setting = 3
    }

    private let ring: FrameRing<Tag>

    init() throws(MediaThreadError) {
        ring = try FrameRing(slots: 16, slotBytes: MemoryLayout<NodeSetting>.size)
    }

    /// Queues `message`. Returns false when 16 are already waiting (the media thread is stuck).
    ///
    /// - Realtime: safe (I/O thread only).
    func send(_ message: ControlMessage) -> Bool {
        switch message {
        case let .flushDownlink(epoch, bargeIn): ring.push(bargeIn ? .flushDownlinkForBargeIn : .flushDownlink, value: epoch)
        case let .setting(setting):
            // Safe: NodeSetting is plain inline bytes and a number.
            withUnsafeBytes(of: setting) { ring.push(.setting, payload: $0) }
        }
    }

    /// Hands every queued message to `body`, oldest first.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    func drain(_ body: (ControlMessage) -> Void) {
        while let slot = ring.peek() {
            let value = slot.pointee.value
            let message: ControlMessage
            switch slot.tag(Tag.self) {
            case .flushDownlink: message = .flushDownlink(epoch: value, bargeIn: false)
            case .flushDownlinkForBargeIn: message = .flushDownlink(epoch: value, bargeIn: true)
            case .setting:
                // Safe: the bytes are a NodeSetting `send` copied in (plain values, no references).
                message = .setting(slot.payload.loadUnaligned(as: NodeSetting.self))
            }
            ring.release()
            body(message)
        }
    }
}
