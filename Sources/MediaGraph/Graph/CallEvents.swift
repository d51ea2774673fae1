/// A call's event lane: nodes on the media thread post ``MediaEvent``s, the call's I/O thread reads
/// them with the downlink audio (the media thread's doorbell announcement covers both). Made on
/// first use by the nodes that post, through the graph's ``GraphScope``.
///
/// - Threading: `post` on the call's media thread (producer), `drain` on its I/O thread (consumer).
/// - Ownership: owned by the graph's scope; the ring is allocated at init, 64 events deep.
/// - Realtime: `post` and `drain` are safe; a full lane drops the event and counts it.
public final class CallEvents: @unchecked Sendable {
    // @unchecked Sendable: an SPSC ring with the producer and consumer stated above.
    private let ring: FrameRing

    init() throws(GraphBuildError) {
        do {
            ring = try FrameRing(slots: 64, slotBytes: 0)
        } catch {
            throw .unsupportedFormat(node: "events", input: .pcm8k, expected: "memory for the event lane (\(error))")
        }
    }

    /// Events dropped because the I/O side had not read the lane.
    public var dropped: UInt64 { ring.dropped }

    /// - Realtime: safe (media-thread only).
    func post(_ event: MediaEvent) {
        switch event {
        case let .speechStarted(ms): _ = ring.push(.speechStarted, value: ms)
        case let .speechStopped(ms): _ = ring.push(.speechStopped, value: ms)
        case let .bargeIn(ms): _ = ring.push(.bargeIn, value: ms)
        }
    }

    /// Hands every queued event to `body`, oldest first.
    ///
    /// - Realtime: safe (the call's I/O thread only).
    public func drain(_ body: (MediaEvent) -> Void) {
        while let slot = ring.peek() {
            let ms = slot.pointee.value
            let kind = slot.pointee.kind
            ring.release()
            switch kind {
            case FrameRing.Kind.speechStarted.rawValue: body(.speechStarted(mediaMs: ms))
            case FrameRing.Kind.speechStopped.rawValue: body(.speechStopped(mediaMs: ms))
            default: body(.bargeIn(mediaMs: ms))
            }
        }
    }
}
