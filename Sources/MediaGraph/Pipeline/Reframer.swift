/// Cuts audio arriving in pieces of any size into whole 20 ms frames, on a call's I/O thread: a
/// provider's messages (Exotel sends ~100 ms, Twilio 20 ms) and an agent's deltas (any size).
/// A remainder waits for the next piece; ``finish(hasRoom:emit:)`` pads it with silence so the tail of an
/// utterance is played, never held back.
///
/// - Threading: one I/O thread. - Ownership: allocates one frame of storage at init.
/// - Realtime: `write` and `finish` are safe (no allocation).
final class Reframer {
    /// Bytes in one frame.
    let frameBytes: Int
    /// The byte that is silence in this format (μ-law 0xFF, PCM 0).
    private let silenceByte: UInt8
    private let frame: UnsafeMutableRawBufferPointer
    /// Bytes of `frame` filled so far: 0 ≤ filled < frameBytes between calls.
    private(set) var filled = 0
    /// Arrival time of the piece that began the frame being filled.
    private var frameArrival: UInt64 = 0

    init(format: AudioFormat) {
        frameBytes = format.bytesPerFrame
        silenceByte = format.encoding == .mulaw ? 0xFF : 0
        frame = .allocate(byteCount: frameBytes, alignment: 16)
    }

    deinit { frame.deallocate() }

    /// Appends `bytes`; hands each completed frame and the arrival time of its first byte to `emit`.
    /// Before completing a frame it asks `hasRoom`: when that says no, it stops there, leaving the
    /// rest of `bytes` unread (a frame is never held complete and unsent). Returns how many bytes
    /// of `bytes` it took.
    ///
    /// - Realtime: safe.
    func write(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64, hasRoom: () -> Bool = { true },
               emit: (UnsafeRawBufferPointer, UInt64) -> Void) -> Int {
        var taken = 0
        while taken < bytes.count {
            let n = min(frameBytes - filled, bytes.count - taken)
            let completes = filled + n == frameBytes
            if completes, !hasRoom() { break }
            if filled == 0 { frameArrival = arrivalNanos }
            UnsafeMutableRawBufferPointer(rebasing: frame[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[taken..<(taken + n)]))
            filled += n
            taken += n
            if completes {
                emit(UnsafeRawBufferPointer(frame), frameArrival)
                filled = 0
            }
        }
        return taken
    }

    /// Pads a partly filled frame with silence and emits it. Returns false when `hasRoom` says no:
    /// call again later.
    ///
    /// - Realtime: safe.
    func finish(hasRoom: () -> Bool = { true }, emit: (UnsafeRawBufferPointer, UInt64) -> Void) -> Bool {
        guard filled > 0 else { return true }
        guard hasRoom() else { return false }
        UnsafeMutableRawBufferPointer(rebasing: frame[filled...]).initializeMemory(as: UInt8.self, repeating: silenceByte)
        emit(UnsafeRawBufferPointer(frame), frameArrival)
        filled = 0
        return true
    }

    /// Forgets a partial frame (the audio was flushed).
    func discard() { filled = 0 }
}
