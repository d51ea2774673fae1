import CAudio
import Foundation
import Testing

/// The echo path delay estimator (vd_echo_delay) on syllable-like bursts of noise.
@Suite struct EchoDelayTests {
    /// Bursts of noise 80–300 ms long with 40–400 ms gaps, like speech's envelope; repeatable.
    static func bursts(seconds: Int, rateHz: Int = 8000, seed: UInt64) -> [Int16] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var out = [Int16](repeating: 0, count: seconds * rateHz)
        var at = 0
        while at < out.count {
            let on = (80 + Int(next() % 220)) * rateHz / 1000
            let level = Double(2000 + next() % 8000)
            for i in at..<min(out.count, at + on) { out[i] = Int16(Double(Int(next() % 2001) - 1000) / 1000 * level) }
            at += on + (40 + Int(next() % 360)) * rateHz / 1000
        }
        return out
    }

    /// Runs `far` and `near` through a fresh estimator 10 ms at a time; returns the estimate after
    /// each chunk.
    static func estimates(far: [Int16], near: [Int16], rateHz: Int = 8000) -> [Int32] {
        var err: Int32 = 0
        let estimator = vd_echo_delay_create(Int32(rateHz), 500, &err)!
        defer { vd_echo_delay_destroy(estimator) }
        let chunk = rateHz / 100
        return stride(from: 0, to: min(far.count, near.count) - chunk + 1, by: chunk).map { at in
            far[at..<(at + chunk)].withUnsafeBufferPointer { f in
                near[at..<(at + chunk)].withUnsafeBufferPointer { n in vd_echo_delay_update(estimator, f.baseAddress!, n.baseAddress!) }
            }
        }
    }

    static func echo(of far: [Int16], delayMs: Int, gain: Double = 0.3, rateHz: Int = 8000) -> [Int16] {
        let d = delayMs * rateHz / 1000
        return far.indices.map { $0 < d ? 0 : Int16(Double(far[$0 - d]) * gain) }
    }

    @Test(arguments: [0, 20, 170, 480])
    func findsTheDelayWithinASecond(delayMs: Int) {
        let far = Self.bursts(seconds: 6, seed: 7)
        let found = Self.estimates(far: far, near: Self.echo(of: far, delayMs: delayMs))
        #expect(abs(Int(found[99]) - delayMs) <= 10, "after 1 s: \(found[99]) ms")
        #expect(abs(Int(found.last!) - delayMs) <= 10)
    }

    @Test func nothingToCompareGivesNoEstimate() {
        let silence = [Int16](repeating: 0, count: 3 * 8000)
        #expect(Self.estimates(far: silence, near: Self.bursts(seconds: 3, seed: 3)).allSatisfy { $0 == -1 })
    }

    /// The agent falls silent for 4 s while the caller talks: the estimate stays where it was.
    @Test func holdsItsEstimateWhileTheFarEndIsSilent() {
        let talk = Self.bursts(seconds: 4, seed: 11)
        let far = talk + [Int16](repeating: 0, count: 4 * 8000)
        let caller = Self.bursts(seconds: 4, seed: 5)
        let near = Array(Self.echo(of: far, delayMs: 250).prefix(4 * 8000)) + caller
        let found = Self.estimates(far: far, near: near)
        #expect(abs(Int(found[399]) - 250) <= 10)
        #expect(found.last == found[399])
    }

    /// The caller talks over the agent (independent bursts as loud as the echo): the peak stays.
    @Test func doubleTalkDoesNotMoveIt() {
        let far = Self.bursts(seconds: 8, seed: 21)
        let caller = Self.bursts(seconds: 8, seed: 99).map { Int16(Double($0) * 0.3) }
        let near = zip(Self.echo(of: far, delayMs: 320), caller).map { Int16(clamping: Int($0) + Int($1)) }
        let found = Self.estimates(far: far, near: near)
        #expect(abs(Int(found.last!) - 320) <= 10, "\(found.last!)")
    }

    @Test func refusesWhatItCannotDo() {
        var err: Int32 = 0
        #expect(vd_echo_delay_create(44100, 500, &err) == nil)
        #expect(err == VD_EINVAL)
        #expect(vd_echo_delay_create(8000, VD_ECHO_DELAY_MAX_MS + 1, &err) == nil)
        #expect(vd_echo_delay_create(16000, 5, &err) == nil)
    }
}
