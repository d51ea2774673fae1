@testable import Bridge
import Testing

@Suite struct RealTimeGuardTests {
    let ms: UInt64 = 1_000_000

    @Test func realTimeAudioAndRealGapsGoThrough() {
        var guard_ = RealTimeGuard(burstMs: 1000)
        for i in 0..<100 { #expect(guard_.admit(audioMs: 20, gapMs: 0, nowNanos: UInt64(i) * 20 * ms) == .init(audio: true, silenceMs: 0)) }
        // 2 s of nothing (a network stall), then a timestamp 2 s ahead: all of it is silence.
        #expect(guard_.admit(audioMs: 20, gapMs: 2000, nowNanos: 4000 * ms) == .init(audio: true, silenceMs: 2000))
    }

    @Test func aFloodGetsTheBurstThenRealTime() {
        var guard_ = RealTimeGuard(burstMs: 1000)
        // 100× real time: 1000 frames within 200 ms of wall clock.
        var admitted = 0
        for i in 0..<1000 where guard_.admit(audioMs: 20, gapMs: 0, nowNanos: UInt64(i) * ms / 5).audio { admitted += 1 }
        // The burst plus the 199.8 ms that passed, in whole ms, in 20 ms frames.
        #expect(admitted == (1000 + 199) / 20)
    }

    @Test func quietTimeIsBankedForTenSecondsAtMost() {
        var guard_ = RealTimeGuard(burstMs: 1000)
        _ = guard_.admit(audioMs: 20, gapMs: 0, nowNanos: 0)
        // Ten minutes of nothing, then a flood: the burst and ten seconds, not ten minutes.
        var admitted = 0
        for _ in 0..<5000 where guard_.admit(audioMs: 20, gapMs: 0, nowNanos: 600_000 * ms).audio { admitted += 1 }
        #expect(admitted == 11_000 / 20)
    }

    @Test func timestampJumpsAreCutToRealTime() {
        var guard_ = RealTimeGuard(burstMs: 1000)
        // Each message claims a 10 s gap, 20 ms apart in real time: the burst, then 0 per message.
        #expect(guard_.admit(audioMs: 20, gapMs: 10_000, nowNanos: 0) == .init(audio: true, silenceMs: 980))
        #expect(guard_.admit(audioMs: 20, gapMs: 10_000, nowNanos: 20 * ms) == .init(audio: true, silenceMs: 0))
        #expect(guard_.admit(audioMs: 20, gapMs: 10_000, nowNanos: 60 * ms) == .init(audio: true, silenceMs: 20))
    }
}
