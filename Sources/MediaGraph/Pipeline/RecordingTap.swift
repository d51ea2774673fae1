import Atomics

/// What a recorded call's media thread hands its recorder: every caller frame as the provider sent
/// it and every agent frame as it went to the provider, in the order the media thread handled them,
/// in one SPSC ring to the recording writer's thread. A full ring drops the frame (counted: a gap in
/// the recording), never blocks.
///
/// - Threading: `caller`/`agent` on the call's media thread (the one producer); `drain` on the
///   recording writer's thread (the one consumer).
/// - Ownership: made with the call's ``CallPipeline``; held by the pipeline and the recorder.
/// - Realtime: `caller` and `agent` are safe (one copy into a preallocated slot).
public final class RecordingTap: @unchecked Sendable {
    // @unchecked Sendable: the ring has one producer (the media thread) and one consumer (the writer).

    /// Which side of the call a frame is.
    public enum Side: UInt32, RingTag {
        case caller, agent
    }

    /// Ten seconds of both sides at once.
    static let slots = 1024

    /// The provider's format, which both sides' frames are in.
    public let format: AudioFormat
    private let ring: FrameRing<Side>

    init(format: AudioFormat) throws(MediaThreadError) {
        self.format = format
        ring = try FrameRing(slots: Self.slots, slotBytes: format.bytesPerFrame)
    }

    /// Frames lost to a full ring.
    public var dropped: UInt64 { ring.dropped }

    /// - Realtime: safe (media thread only).
    @inline(__always)
    func caller(_ bytes: UnsafeRawBufferPointer) { _ = ring.push(.caller, payload: bytes) }

    /// - Realtime: safe (media thread only).
    @inline(__always)
    func agent(_ bytes: UnsafeRawBufferPointer) { _ = ring.push(.agent, payload: bytes) }

    /// Hands every waiting frame to `body` (side, bytes valid during the call), oldest first.
    public func drain(_ body: (Side, UnsafeRawBufferPointer) -> Void) {
        while let slot = ring.peek() {
            if let side = Side(rawValue: slot.pointee.kind) { body(side, slot.payload) }
            ring.release()
        }
    }
}
