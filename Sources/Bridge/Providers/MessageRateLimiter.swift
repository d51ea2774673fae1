/// A token bucket over a provider socket's inbound messages: ``ratePerSecond`` sustained, up to
/// ``burst`` at once. Twilio sends 50 `media` a second and returns about as many `mark`s; beyond
/// the bucket the socket stops reading for a moment, so a flood waits in TCP (back-pressure on the
/// sender) instead of costing the event loop — and the calls it serves — a parse per message.
///
/// - Threading: one per socket, on its event loop.
/// - Realtime: safe (arithmetic only).
struct MessageRateLimiter {
    let ratePerSecond: Int
    let burst: Int
    private var tokens: Double
    private var lastNanos: UInt64?

    init(ratePerSecond: Int, burst: Int) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        tokens = Double(burst)
    }

    /// Takes a token for a message that arrived at `nowNanos`; false when the bucket is empty.
    mutating func take(nowNanos: UInt64) -> Bool {
        if let last = lastNanos {
            tokens = min(Double(burst), tokens + Double(nowNanos &- last) * Double(ratePerSecond) / 1e9)
        }
        lastNanos = nowNanos
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// How long until the bucket holds `count` tokens again.
    func nanosUntil(_ count: Int) -> UInt64 {
        guard tokens < Double(count) else { return 0 }
        return UInt64((Double(count) - tokens) * 1e9 / Double(ratePerSecond))
    }
}
