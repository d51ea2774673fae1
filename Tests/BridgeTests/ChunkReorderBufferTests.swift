@testable import Bridge
import Testing

/// The Telnyx jitter buffer on its own: order restored, late and repeated chunks refused, a missing
/// chunk given up once `depth` wait, a jump in the count followed.
@Suite struct ChunkReorderBufferTests {
    /// Inserts chunk `number` carrying one byte `number`; returns what came out.
    static func insert(_ buffer: ChunkReorderBuffer, _ number: UInt64) throws -> [UInt8]? {
        let result = try buffer.insert(number) { (slot) throws(ProviderProtocolError) -> Int in
            slot[0] = UInt8(number)
            return 1
        }
        switch result {
        case .held: return nil
        case let .released(bytes, _, _): return Array(bytes)
        }
    }

    @Test func restoresOrderAndRefusesLateChunks() throws {
        let buffer = ChunkReorderBuffer(depth: 4, slotBytes: 8)
        buffer.silenceBytes = 1
        buffer.silenceByte = 0
        #expect(try Self.insert(buffer, 2) == nil, "chunk 2 waits for chunk 1")
        #expect(try Self.insert(buffer, 1) == [1, 2])
        #expect(try Self.insert(buffer, 4) == nil)
        #expect(throws: ProviderProtocolError.lateFrame) { try Self.insert(buffer, 4) }
        #expect(try Self.insert(buffer, 3) == [3, 4])
        #expect(throws: ProviderProtocolError.lateFrame) { try Self.insert(buffer, 2) }
    }

    @Test func givesUpOnAMissingChunkOnceDepthWait() throws {
        let buffer = ChunkReorderBuffer(depth: 3, slotBytes: 8)
        buffer.silenceBytes = 1
        buffer.silenceByte = 0
        #expect(try Self.insert(buffer, 1) == [1])
        #expect(try Self.insert(buffer, 3) == nil)
        #expect(try Self.insert(buffer, 4) == nil)
        #expect(try Self.insert(buffer, 5) == [0, 3, 4, 5], "chunk 2 is silence once three wait")
        #expect(throws: ProviderProtocolError.lateFrame) { try Self.insert(buffer, 2) }
    }

    @Test func followsAJumpInTheCount() throws {
        let buffer = ChunkReorderBuffer(depth: 4, slotBytes: 8)
        #expect(try Self.insert(buffer, 1) == [1])
        #expect(try Self.insert(buffer, 3) == nil)
        #expect(try Self.insert(buffer, 100) == [3, 100], "what waited goes out, then counting restarts")
        #expect(try Self.insert(buffer, 101) == [101])
    }

    /// Swapped in pairs with one chunk lost: a chunk more than `depth` ahead gives the lost one up
    /// (silence, counted) instead of being taken for a jump; nothing after it is late.
    @Test func aLossAmongSwappedPairsIsGivenUpNotTakenForAJump() throws {
        let buffer = ChunkReorderBuffer(depth: 4, slotBytes: 8)
        buffer.silenceBytes = 1
        buffer.silenceByte = 0
        var out: [UInt8] = []
        for number: UInt64 in [2, 1, 4, 3, 6, 8, 7, 10, 9, 12, 11] {
            out += try Self.insert(buffer, number) ?? []
        }
        #expect(out == [1, 2, 3, 4, 0, 6, 7, 8, 9, 10, 11, 12], "chunk 5 lost: one frame of silence")
    }

    /// A stream whose first chunk is well past 1 counts from there, with nothing taken for lost.
    @Test func aStreamMayStartPastChunkOne() throws {
        let buffer = ChunkReorderBuffer(depth: 4, slotBytes: 8)
        #expect(try Self.insert(buffer, 7) == [7])
        #expect(try Self.insert(buffer, 9) == nil)
        #expect(try Self.insert(buffer, 8) == [8, 9])
    }

    /// A chunk that `write` refuses (bad audio) changes nothing: what waits still comes out.
    @Test func aRefusedChunkChangesNothing() throws {
        let buffer = ChunkReorderBuffer(depth: 4, slotBytes: 8)
        #expect(try Self.insert(buffer, 2) == nil)
        #expect(throws: ProviderProtocolError.badPayload) {
            try buffer.insert(20) { (_) throws(ProviderProtocolError) -> Int in throw .badPayload }
        }
        #expect(try Self.insert(buffer, 1) == [1, 2])
    }

    /// Packets (Opus) stay whole: each released chunk's length comes with it, and a lost one is an
    /// empty packet.
    @Test func keepsEachChunksLength() throws {
        let buffer = ChunkReorderBuffer(depth: 2, slotBytes: 8)
        buffer.silenceBytes = 0
        func insert(_ number: UInt64, length: Int) throws -> [Int]? {
            let result = try buffer.insert(number) { (slot) throws(ProviderProtocolError) -> Int in
                slot.initializeMemory(as: UInt8.self, repeating: UInt8(number))
                return length
            }
            guard case let .released(bytes, lengths, _) = result else { return nil }
            #expect(bytes.count == lengths.reduce(0, +))
            return Array(lengths)
        }
        #expect(try insert(1, length: 3) == [3])
        #expect(try insert(3, length: 5) == nil)
        #expect(try insert(4, length: 2) == [0, 5, 2], "chunk 2 lost: an empty packet, then 3 and 4 whole")
    }
}

@Suite struct PlayoutClockTests {
    /// Marks come back when the audio before them has played by the clock; a clear forgets them.
    @Test func returnsMarksWhenTheirAudioHasPlayed() {
        var clock = PlayoutClock()
        let ms: UInt64 = 1_000_000
        clock.sent(frames: 1, mark: "a", nowNanos: 0)
        clock.sent(frames: 2, mark: "b", nowNanos: 5 * ms)
        var returned: [String] = []
        clock.returnPlayed(nowNanos: 19 * ms) { returned.append($0) }
        #expect(returned.isEmpty)
        clock.returnPlayed(nowNanos: 20 * ms) { returned.append($0) }
        #expect(returned == ["a"])
        clock.returnPlayed(nowNanos: 60 * ms) { returned.append($0) }
        #expect(returned == ["a", "b"], "b plays after a: 20 + 40 ms")
        clock.sent(frames: 1, mark: "c", nowNanos: 100 * ms)
        clock.clear()
        clock.returnPlayed(nowNanos: 1000 * ms) { returned.append($0) }
        #expect(returned == ["a", "b"], "a cleared mark never plays")
    }
}
