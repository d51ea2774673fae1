/// Decides when the next agent frame may go to the provider: as soon as it would start playing at
/// most ``leadNanos`` ahead of now. The provider plays what it receives in order, so `playedUntil`
/// — when everything released so far will have finished playing — advances by 20 ms per frame
/// from whichever is later, itself or now (after a pause the provider's queue ran dry).
///
/// ```
///   now            playedUntil                  now + lead
///    |──── queued at the provider ────|── room ──|
///    a frame may go while playedUntil < now + lead
/// ```
/// With the default 100 ms lead a reply's first five frames leave at once, then one per 20 ms.
///
/// - Threading: the call's media thread only. - Realtime: safe.
struct DownlinkPacer {
    /// Most audio queued at the provider beyond what is playing now, in ns.
    let leadNanos: UInt64
    /// Monotonic time at which the provider will have played every frame released so far.
    private(set) var playedUntilNanos: UInt64 = 0

    init(leadMs: Int) {
        leadNanos = UInt64(max(0, leadMs)) * 1_000_000
    }

    /// Whether a frame may be released at `now`.
    @inline(__always)
    func mayRelease(atNanos now: UInt64) -> Bool {
        playedUntilNanos <= now || playedUntilNanos - now < leadNanos
    }

    /// One frame was released at `now`.
    @inline(__always)
    mutating func released(atNanos now: UInt64) {
        playedUntilNanos = max(playedUntilNanos, now) + Self.frameNanos
    }

    /// The provider's queue was flushed: nothing released so far will play.
    mutating func reset() { playedUntilNanos = 0 }

    private static let frameNanos = UInt64(AudioFormat.frameDurationMs) * 1_000_000
}
