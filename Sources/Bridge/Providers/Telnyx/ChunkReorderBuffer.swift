/// Puts media chunks back in order by their number (Telnyx does not guarantee the order): a chunk
/// that arrives ahead of a missing one waits, up to ``depth`` of them; once that many wait, or a
/// chunk more than ``depth`` ahead arrives, the missing chunk is given up for lost — one frame of
/// silence in its place, counted — and the rest go on. A chunk older than the next one expected (or
/// one already waiting) is late: dropped and counted. A jump of more than 2 × ``depth`` chunks (a
/// count that does not start at 1, or a long loss) releases what waits and starts again from there. What it releases keeps each chunk's length, so
/// packets (Opus) stay whole.
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
    /// Bytes of one lost frame's silence (0 for Opus: an empty packet, which the decoder conceals),
    /// and its byte.
    var silenceBytes = 160
    var silenceByte: UInt8 = 0xFF
    private let slots: UnsafeMutableRawBufferPointer
    /// Where `insert` has a chunk written before it is placed.
    private let staging: UnsafeMutableRawBufferPointer
    private let output: UnsafeMutableRawBufferPointer
    /// The length of each chunk in `output`, in order.
    private let outputLengths: UnsafeMutableBufferPointer<Int>
    /// What the current `insert` has put in `output`: bytes, chunks, and silences among them.
    private var used = 0
    private var released = 0
    private var concealed = 0
    private var lengths: [Int]
    private var numbers: [UInt64]
    private var held = 0
    private var next: UInt64?

    /// What one chunk gave.
    enum Result {
        /// Audio to play now, in order, with the frames of silence put in for lost chunks; and each
        /// chunk's length in it.
        case released(UnsafeRawBufferPointer, chunkLengths: UnsafeBufferPointer<Int>, concealedFrames: Int)
        /// Waiting for an earlier chunk.
        case held
    }

    init(depth: Int = 4, slotBytes: Int = 4096) {
        self.depth = depth
        self.slotBytes = slotBytes
        slots = .allocate(byteCount: depth * slotBytes, alignment: 16)
        staging = .allocate(byteCount: slotBytes, alignment: 16)
        // One insert moves `next` on by at most 3 × depth + 1 (a gap of 2 × depth given up, the new
        // chunk, and `depth` held after it): a chunk or a silence frame each.
        output = .allocate(byteCount: (3 * depth + 1) * slotBytes, alignment: 16)
        outputLengths = .allocate(capacity: 3 * depth + 1)
        lengths = Array(repeating: -1, count: depth)
        numbers = Array(repeating: 0, count: depth)
    }

    deinit {
        slots.deallocate()
        staging.deallocate()
        output.deallocate()
        outputLengths.deallocate()
    }

    /// Takes chunk `number`, whose audio `write` puts into the buffer it is given (at most
    /// ``slotBytes``) and returns the byte count of. Throws ``ProviderProtocolError/lateFrame`` for
    /// a late or repeated chunk, or what `write` throws.
    func insert(_ number: UInt64,
                write: (UnsafeMutableRawBufferPointer) throws(ProviderProtocolError) -> Int) throws(ProviderProtocolError) -> Result {
        // Chunks count from 1 (from 0 if the stream's first one is 0): a stream whose chunk 2
        // overtook chunk 1 waits for it; one whose first chunk is further on counts from there.
        let expected = next ?? (number <= UInt64(depth) + 1 ? min(number, 1) : number)
        guard number >= expected else { throw .lateFrame }
        let slot = Int(number % UInt64(depth))
        if number > expected, number <= expected + UInt64(depth), lengths[slot] >= 0, numbers[slot] == number { throw .lateFrame }
        // Written aside first: a chunk that `write` refuses changes nothing.
        let length = try write(staging)
        let chunk = UnsafeRawBufferPointer(rebasing: staging[0..<length])
        used = 0
        concealed = 0
        released = 0
        if number - expected > UInt64(2 * depth) {
            // A jump: what waits goes out in order, and counting starts again at `number`.
            releaseHeld(from: expected)
            next = number
        } else {
            next = expected
            // Held chunks stay within `depth` of the next one expected: a chunk further ahead
            // gives up the missing ones before it until it fits.
            while number > next! + UInt64(depth) { giveUpNext() }
        }
        if number == next! {
            UnsafeMutableRawBufferPointer(rebasing: output[used..<(used + length)]).copyMemory(from: chunk)
            used += appended(length)
            next! += 1
        } else {
            UnsafeMutableRawBufferPointer(rebasing: slots[(slot * slotBytes)..<(slot * slotBytes + length)]).copyMemory(from: chunk)
            lengths[slot] = length
            numbers[slot] = number
            held += 1
        }
        releaseInOrder()
        // Once `depth` wait, the missing chunk is given up.
        while held >= depth { giveUpNext() }
        return released == 0 ? .held : .released(UnsafeRawBufferPointer(rebasing: output[0..<used]),
                                                  chunkLengths: UnsafeBufferPointer(rebasing: outputLengths[0..<released]),
                                                  concealedFrames: concealed)
    }

    /// Puts silence in place of the missing chunk `next` (counted), then releases what follows it
    /// in order.
    private func giveUpNext() {
        UnsafeMutableRawBufferPointer(rebasing: output[used..<(used + silenceBytes)]).initializeMemory(as: UInt8.self, repeating: silenceByte)
        used += appended(silenceBytes)
        concealed += 1
        next! += 1
        releaseInOrder()
    }

    /// Releases the held chunks that follow `next` without a gap.
    private func releaseInOrder() {
        while true {
            let slot = Int(next! % UInt64(depth))
            guard lengths[slot] >= 0, numbers[slot] == next! else { return }
            used += take(slot, into: used)
            next! += 1
        }
    }

    /// Notes a chunk of `length` bytes put in `output`; returns its length.
    private func appended(_ length: Int) -> Int {
        outputLengths[released] = length
        released += 1
        return length
    }

    /// Releases every held chunk from `first` on, in number order.
    private func releaseHeld(from first: UInt64) {
        var number = first
        while held > 0 {
            let slot = Int(number % UInt64(depth))
            if lengths[slot] >= 0, numbers[slot] == number { used += take(slot, into: used) }
            number += 1
        }
    }

    /// Moves slot `slot`'s chunk to `output` at `offset`; returns its length.
    private func take(_ slot: Int, into offset: Int) -> Int {
        let length = lengths[slot]
        UnsafeMutableRawBufferPointer(rebasing: output[offset..<(offset + length)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: slots[(slot * slotBytes)..<(slot * slotBytes + length)]))
        lengths[slot] = -1
        held -= 1
        return appended(length)
    }
}
