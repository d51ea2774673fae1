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
        case let .released(bytes, _): return Array(bytes)
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
