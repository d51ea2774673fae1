/// A call's event lane: nodes on the media thread post ``MediaEvent``s, the call's I/O thread reads
/// them with the call's audio (the media thread's doorbell announcement covers both). Every graph
/// has one, in its ``GraphScope`` (a node gets it with ``GraphScope/events()`` in `prepare`).
///
/// - Threading: `post` on the call's media thread (producer), `drain` on its I/O thread (consumer).
/// - Ownership: owned by the graph's scope; the ring is allocated at init, 64 events deep.
/// - Realtime: `post` and `drain` are safe (a ``NodeEvent``'s texts are static: copied as pointers);
///   a full lane drops the event and counts it.
public final class EventLane: @unchecked Sendable {
    // @unchecked Sendable: an SPSC ring with the producer and consumer stated above.

    /// What a slot of the lane says; `value` carries the media time in ms.
    private enum Tag: UInt32, RingTag {
        case speechStarted = 1
        case speechStopped = 2
        case bargeIn = 3
        case node = 4
    }

    private let ring: FrameRing<Tag>

    init() throws(GraphBuildError) {
        do {
            ring = try FrameRing(slots: 64, slotBytes: MemoryLayout<NodeEvent>.size)
        } catch {
            throw .unsupportedFormat(node: "events", input: .pcm8k, expected: "memory for the event lane (\(error))")
        }
    }

    /// Events dropped because the I/O side had not read the lane.
    public var dropped: UInt64 { ring.dropped }

    /// Posts `event` for the call's I/O side. A VAD of your own posts `.speechStarted` and
    /// `.speechStopped` (and keeps ``VoiceActivity`` up to date) exactly as the built-in one does.
    ///
    /// - Realtime: safe (media-thread only).
    public func post(_ event: MediaEvent) {
        switch event {
        case let .speechStarted(ms): _ = ring.push(.speechStarted, value: ms)
        case let .speechStopped(ms): _ = ring.push(.speechStopped, value: ms)
        case let .bargeIn(ms): _ = ring.push(.bargeIn, value: ms)
        case let .node(nodeEvent):
            // Safe: NodeEvent holds only trivial values (static-text pointers, numbers).
            withUnsafeBytes(of: nodeEvent) { _ = ring.push(.node, value: nodeEvent.mediaMs, payload: $0) }
        }
    }

    /// Hands every queued event to `body`, oldest first.
    ///
    /// - Realtime: safe (the call's I/O thread only).
    public func drain(_ body: (MediaEvent) -> Void) {
        while let slot = ring.peek() {
            let ms = slot.pointee.value
            let event: MediaEvent
            switch slot.tag(Tag.self) {
            case .speechStarted: event = .speechStarted(mediaMs: ms)
            case .speechStopped: event = .speechStopped(mediaMs: ms)
            case .bargeIn: event = .bargeIn(mediaMs: ms)
            case .node:
                // Safe: the bytes are a NodeEvent this lane's `post` copied in (plain values).
                event = .node(slot.payload.loadUnaligned(as: NodeEvent.self))
            }
            ring.release()
            body(event)
        }
    }
}
