import CAudio

/// The tag space of one kind of ring: what a slot's `kind` word may say. Each lane has its own
/// (``AudioSlot``, ``MediaThread/Command``, ``Doorbell/Event``, the event and control lanes' tags),
/// so a slot of one lane can never be read as another's.
protocol RingTag: RawRepresentable where RawValue == UInt32 {}

/// Swift owner of one `vd_ring` (CAudio's lock-free SPSC ring of fixed-size slots), tagged by `Tag`.
///
/// - Threading: one producer thread and one consumer thread, fixed for the ring's life; which ones
///   is stated where each ring is declared. Counters may be read anywhere.
/// - Ownership: allocates the ring at init (control thread) and destroys it in deinit, which must
///   happen when neither side can touch it any more.
/// - Realtime: `push`, `peek`, `release`, `free`, `count`, `dropped` are safe.
final class FrameRing<Tag: RingTag>: @unchecked Sendable {
    // @unchecked Sendable: the C ring is safe for one producer and one consumer on different threads,
    // which every owner of a FrameRing guarantees (see each declaration).

    private let ring: OpaquePointer

    init(slots: Int, slotBytes: Int) throws(MediaThreadError) {
        var cfg = vd_ring_config(slot_count: UInt32(slots), slot_bytes: UInt32(slotBytes))
        var err: Int32 = 0
        guard let ring = vd_ring_create(&cfg, &err) else {
            throw .ring(String(cString: vd_strerror(err)))
        }
        self.ring = ring
    }

    deinit { vd_ring_destroy(ring) }

    /// Copies `payload` into a new slot. Returns false (and counts a drop) when the ring is full.
    ///
    /// - Realtime: safe (producer only).
    @inline(__always)
    func push(_ tag: Tag, time: UInt64 = 0, value: UInt64 = 0, payload: UnsafeRawBufferPointer = .init(start: nil, count: 0)) -> Bool {
        vd_ring_push(ring, tag.rawValue, time, value, payload.baseAddress, UInt32(payload.count)) == VD_OK
    }

    /// Free slots. - Realtime: safe (producer only).
    @inline(__always)
    var free: Int { Int(vd_ring_producer_free(ring)) }

    /// The oldest slot, or nil. Valid until `release()`. - Realtime: safe (consumer only).
    @inline(__always)
    func peek() -> UnsafePointer<vd_ring_slot>? { vd_ring_consumer_peek(ring) }
    /// Frees the slot `peek()` returned. - Realtime: safe (consumer only).
    @inline(__always)
    func release() { vd_ring_consumer_release(ring) }

    /// Readable slots now. - Realtime: safe (any thread).
    var count: Int { Int(vd_ring_count(ring)) }
    /// Pushes that failed because the ring was full. - Realtime: safe (any thread).
    var dropped: UInt64 { vd_ring_dropped(ring) }
}

extension UnsafePointer<vd_ring_slot> {
    /// The slot's valid payload bytes.
    @inline(__always)
    var payload: UnsafeRawBufferPointer {
        // Safe: the payload follows the header in the same slot allocation; `length` ≤ slot_bytes.
        UnsafeRawBufferPointer(start: UnsafeRawPointer(self) + MemoryLayout<vd_ring_slot>.size, count: Int(pointee.length))
    }

    /// The slot's tag in `Tag`'s space. A ring only ever holds its own tags, so this cannot fail for
    /// the ring the slot came from.
    @inline(__always)
    func tag<Tag: RingTag>(_: Tag.Type) -> Tag {
        // Safe: every push goes through FrameRing<Tag>.push, which writes a valid raw value.
        Tag(rawValue: pointee.kind).unsafelyUnwrapped
    }
}

/// What an audio ring's slot holds.
enum AudioSlot: UInt32, RingTag {
    /// `length` bytes of one 20 ms frame.
    case audio = 1
    /// A gap: `value` frames of silence, no payload.
    case silence = 2
}
