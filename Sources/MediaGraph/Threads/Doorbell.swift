import CAudio

/// How media threads tell one I/O event loop which of its calls have downlink audio ready (or have
/// retired): one eventfd for the loop, and one SPSC ring of call ids per media thread.
///
/// ```
///  media thread 0 ─► [ring 0] ─┐
///  media thread 1 ─► [ring 1] ─┼─► eventfd ─► event loop: drain(), then send for each call id
///  …                           ┘
/// ```
/// A media thread posts at most one entry per call per wake-up and signals the eventfd once per
/// wake-up (``MediaThread`` does this), so a loop serving many calls wakes once for a whole batch.
/// Each ring holds `2 × callsPerThread` entries: with the per-call coalescing flag a call has at
/// most one `ready` and one `retired` entry in flight, so a ring cannot overflow.
///
/// - Threading: `post` and `signal` run on media thread `thread` only (ring `thread`'s producer);
///   `drain` runs on the event loop that owns the doorbell (every ring's consumer).
/// - Ownership: the server makes one per event loop and keeps it until the media threads have
///   stopped (a retiring call is announced after the call itself may be gone, so the doorbell must
///   outlive the calls); it owns the eventfd and the rings (the event loop watches a `dup` of it).
/// - Realtime: `post` and `signal` are safe.
public final class Doorbell: @unchecked Sendable {
    // @unchecked Sendable: each ring has one producer (its media thread) and one consumer (the loop).

    /// What an entry says about its call.
    public enum Event: UInt32, Sendable, RingTag {
        /// Downlink audio is waiting in the call's ring.
        case ready = 1
        /// The media thread has let go of the call; its resources may be freed.
        case retired = 2
    }

    /// The eventfd the event loop watches. Owned here; closed in deinit.
    public let descriptor: Int32
    private let rings: [FrameRing<Event>]
    /// Per media thread: posted since the last signal. Element `i` is touched only by media thread `i`.
    private let posted: UnsafeMutableBufferPointer<Bool>

    /// - Realtime: unsafe (allocates); control thread.
    public init(mediaThreads: Int, callsPerThread: Int) throws(MediaThreadError) {
        var slots = 2
        while slots < 2 * callsPerThread { slots <<= 1 }
        var rings: [FrameRing<Event>] = []
        for _ in 0..<mediaThreads { rings.append(try FrameRing(slots: slots, slotBytes: 0)) }
        let fd = vd_eventfd_create()
        guard fd >= 0 else { throw .system("eventfd") }
        self.rings = rings
        descriptor = fd
        posted = .allocate(capacity: mediaThreads)
        posted.initialize(repeating: false)
    }

    deinit {
        posted.deallocate()
        vd_fd_close(descriptor)
    }

    /// Queues `event` for call `callID`. Returns true when this is the thread's first post since its
    /// last `signal` (the caller then remembers to signal).
    ///
    /// - Realtime: safe (media thread `thread` only).
    func post(from thread: Int, callID: UInt64, _ event: Event) -> Bool {
        // Cannot fail: see the capacity argument in the type's documentation.
        _ = rings[thread].push(event, value: callID)
        defer { posted[thread] = true }
        return !posted[thread]
    }

    /// Wakes the event loop once for everything `thread` posted since its last signal.
    ///
    /// - Realtime: safe (media thread `thread` only; one eventfd write).
    func signal(from thread: Int) {
        posted[thread] = false
        _ = vd_eventfd_signal(descriptor)
    }

    /// Hands every queued entry to `body`, thread by thread, oldest first.
    ///
    /// - Realtime: safe (the owning event loop only).
    public func drain(_ body: (UInt64, Event) -> Void) {
        for ring in rings {
            while let slot = ring.peek() {
                let callID = slot.pointee.value
                let event = slot.tag(Event.self)
                ring.release()
                body(callID, event)
            }
        }
    }
}
