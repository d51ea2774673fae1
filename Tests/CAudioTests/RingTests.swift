import CAudio
import Foundation
import Testing

@Suite struct RingTests {
    static func makeRing(slots: UInt32 = 8, bytes: UInt32 = 160) -> OpaquePointer {
        var cfg = vd_ring_config(slot_count: slots, slot_bytes: bytes)
        var err: Int32 = 0
        return vd_ring_create(&cfg, &err)!
    }

    @Test func rejectsBadConfigurations() {
        for (slots, bytes) in [(UInt32(0), UInt32(16)), (3, 16), (1, 16), (131072, 16), (8, 70000)] {
            var cfg = vd_ring_config(slot_count: slots, slot_bytes: bytes)
            var err: Int32 = 0
            #expect(vd_ring_create(&cfg, &err) == nil)
            #expect(err == VD_EINVAL)
        }
        #expect(String(cString: vd_strerror(Int32(VD_EFULL))) == "ring full")
    }

    @Test func pushPopInOrderAcrossWrap() {
        let ring = Self.makeRing(slots: 4, bytes: 4)
        defer { vd_ring_destroy(ring) }
        for i in 0..<20 {
            var payload = UInt32(i)
            #expect(vd_ring_push(ring, 1, UInt64(i), 7, &payload, 4) == VD_OK)
            let slot = vd_ring_consumer_peek(ring)!
            #expect(slot.pointee.time_ns == UInt64(i))
            #expect(slot.pointee.value == 7)
            let got = UnsafeRawPointer(slot).advanced(by: MemoryLayout<vd_ring_slot>.size).load(as: UInt32.self)
            #expect(got == UInt32(i))
            vd_ring_consumer_release(ring)
        }
        #expect(vd_ring_consumer_peek(ring) == nil)
    }

    @Test func fullRingDropsAndCounts() {
        let ring = Self.makeRing(slots: 4, bytes: 16)
        defer { vd_ring_destroy(ring) }
        for _ in 0..<4 { #expect(vd_ring_push(ring, 1, 0, 0, nil, 0) == VD_OK) }
        #expect(vd_ring_producer_free(ring) == 0)
        #expect(vd_ring_push(ring, 1, 0, 0, nil, 0) == VD_EFULL)
        #expect(vd_ring_push(ring, 1, 0, 0, nil, 0) == VD_EFULL)
        #expect(vd_ring_dropped(ring) == 2)
        #expect(vd_ring_count(ring) == 4)
        var big = [UInt8](repeating: 0, count: 17)
        #expect(vd_ring_push(ring, 1, 0, 0, &big, 17) == VD_ETOOBIG)
    }

    /// One producer thread, one consumer thread, a million items: every item arrives once, in
    /// order, intact. Run under `swift test --sanitize=thread` in CI.
    @Test func twoThreadStress() async {
        // Safe to share: the producer thread only produces, this task only consumes.
        nonisolated(unsafe) let ring = Self.makeRing(slots: 64, bytes: 64)
        defer { vd_ring_destroy(ring) }
        let count: UInt64 = 1_000_000
        let producer = Thread {
            var i: UInt64 = 0
            var words = [UInt64](repeating: 0, count: 8)
            while i < count {
                for k in 0..<8 { words[k] = i &* 31 &+ UInt64(k) }
                if let slot = vd_ring_producer_reserve(ring) {
                    slot.pointee.length = 64
                    slot.pointee.value = i
                    words.withUnsafeBytes { UnsafeMutableRawPointer(slot).advanced(by: MemoryLayout<vd_ring_slot>.size).copyMemory(from: $0.baseAddress!, byteCount: 64) }
                    vd_ring_producer_commit(ring)
                    i += 1
                }
            }
        }
        producer.start()
        var expected: UInt64 = 0
        var corrupt = 0
        while expected < count {
            guard let slot = vd_ring_consumer_peek(ring) else { continue }
            if slot.pointee.value != expected { corrupt += 1 }
            let base = UnsafeRawPointer(slot).advanced(by: MemoryLayout<vd_ring_slot>.size)
            for k in 0..<8 where base.load(fromByteOffset: k * 8, as: UInt64.self) != expected &* 31 &+ UInt64(k) { corrupt += 1 }
            vd_ring_consumer_release(ring)
            expected += 1
        }
        #expect(corrupt == 0)
        #expect(vd_ring_dropped(ring) == 0)
        #expect(vd_ring_consumer_peek(ring) == nil)
    }
}

@Suite struct WakeTests {
    @Test func eventfdCountsAndDrains() {
        let fd = vd_eventfd_create()
        #expect(fd >= 0)
        defer { vd_fd_close(fd) }
        #expect(vd_eventfd_drain(fd) == 0)
        #expect(vd_eventfd_signal(fd) == VD_OK)
        #expect(vd_eventfd_signal(fd) == VD_OK)
        #expect(vd_wait(fd, -1, 0) & Int32(VD_WAIT_EVENT) != 0)
        #expect(vd_eventfd_drain(fd) == 2)
        #expect(vd_wait(fd, -1, 0) == 0)
    }

    @Test func timerTicks() {
        let event = vd_eventfd_create()
        let timer = vd_timerfd_create(2_000_000)
        defer { vd_fd_close(event); vd_fd_close(timer) }
        let start = vd_now_ns()
        #expect(vd_wait(event, timer, 1000) & Int32(VD_WAIT_TIMER) != 0)
        #expect(vd_timerfd_drain(timer) >= 1)
        #expect(vd_now_ns() > start)
        #expect(vd_timerfd_create(0) == VD_EINVAL)
    }
}
