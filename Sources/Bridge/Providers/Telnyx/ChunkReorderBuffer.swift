/// Puts media chunks back in order by their number (Telnyx does not guarantee the order): a chunk
/// that arrives ahead of a missing one waits, up to ``depth`` of them; once that many wait, the
/// missing chunk is given up for lost — one frame of silence in its place, counted — and the rest go
/// on. A chunk older than the next one expected (or one already waiting) is late: dropped and
/// counted. A jump of more than ``depth`` chunks (lost audio, or a count that does not start at 1)
/// releases what waits and starts again from there.
///
/// - Threading: one per socket, on its event loop.
/// - Ownership: owns its slots and output buffer (allocated at init, freed in deinit).
/// - Realtime: allocation-free per chunk.
final class ChunkReorderBuffer {
    /// Chunks held at most while one is missing (4 × 20 ms: 80 ms of added delay, only while a
    /// chunk is missing).
    let depth: Int
    /// Largest chunk payload, in bytes.
    let slotBytes: Int
    /// Bytes of one lost frame's silence, and its byte.
    var silenceBytes = 160
    var silenceByte: UInt8 = 0xFF
    private let slots: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    private var lengths: [Int]
    private var numbers: [UInt64]
    private var held = 0
    private var next: UInt64?

    /// What one chunk gave.
    enum Result {
        /// Audio to play now, in order, with the frames of silence put in for lost chunks.
        case released(UnsafeRawBufferPointer, concealedFrames: Int)
        /// Waiting for an earlier chunk.
        case held
    }

    init(depth: Int = 4, slotBytes: Int = 4096) {
        self.depth = depth
        self.slotBytes = slotBytes
        slots = .allocate(byteCount: depth * slotBytes, alignment: 16)
        // Everything held, the new chunk, and a silence frame for each chunk given up.
        output = .allocate(byteCount: (2 * depth + 1) * slotBytes, alignment: 16)
        lengths = Array(repeating: -1, count: depth)
        numbers = Array(repeating: 0, count: depth)
    }

    deinit {
        slots.deallocate()
        output.deallocate()
    }

    /// Takes chunk `number`, whose audio `write` puts into the buffer it is given (at most
    /// ``slotBytes``) and returns the byte count of. Throws ``ProviderProtocolError/lateFrame`` for
    /// a late or repeated chunk, or what `write` throws.
    func insert(_ number: UInt64,
                write: (UnsafeMutableRawBufferPointer) throws(ProviderProtocolError) -> Int) throws(ProviderProtocolError) -> Result {
        // Chunks count from 1 (from 0 if the stream's first one is 0): a stream whose chunk 2
        // overtook chunk 1 waits for it.
        let expected = next ?? min(number, 1)
        guard number >= expected else { throw .lateFrame }
        var used = 0
        var concealed = 0
        if number - expected > UInt64(depth) {
            // A jump: what waits goes out in order, and counting starts again at `number`.
            used = releaseHeld(from: expected, into: 0)
            next = number
        } else {
            next = expected
        }
        if number == next! {
            used += try write(UnsafeMutableRawBufferPointer(rebasing: output[used..<(used + slotBytes)]))
            next! += 1
        } else {
            let slot = Int(number % UInt64(depth))
            guard lengths[slot] < 0 else { throw .lateFrame }
            lengths[slot] = try write(UnsafeMutableRawBufferPointer(rebasing: slots[(slot * slotBytes)..<((slot + 1) * slotBytes)]))
            numbers[slot] = number
            held += 1
        }
        // Release what now follows in order; give up on a missing chunk once `depth` wait.
        while true {
            let slot = Int(next! % UInt64(depth))
            if lengths[slot] >= 0, numbers[slot] == next! {
                used += take(slot, into: used)
            } else if held >= depth {
                UnsafeMutableRawBufferPointer(rebasing: output[used..<(used + silenceBytes)]).initializeMemory(as: UInt8.self, repeating: silenceByte)
                used += silenceBytes
                concealed += 1
            } else {
                break
            }
            next! += 1
        }
        return used == 0 && concealed == 0 ? .held : .released(UnsafeRawBufferPointer(rebasing: output[0..<used]), concealedFrames: concealed)
    }

    /// Copies every held chunk from `first` on, in number order, to `output` at `offset`; returns
    /// the new end.
    private func releaseHeld(from first: UInt64, into offset: Int) -> Int {
        var end = offset
        var number = first
        while held > 0 {
            let slot = Int(number % UInt64(depth))
            if lengths[slot] >= 0, numbers[slot] == number { end += take(slot, into: end) }
            number += 1
        }
        return end
    }

    /// Moves slot `slot`'s chunk to `output` at `offset`; returns its length.
    private func take(_ slot: Int, into offset: Int) -> Int {
        let length = lengths[slot]
        UnsafeMutableRawBufferPointer(rebasing: output[offset..<(offset + length)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: slots[(slot * slotBytes)..<(slot * slotBytes + length)]))
        lengths[slot] = -1
        held -= 1
        return length
    }
}
