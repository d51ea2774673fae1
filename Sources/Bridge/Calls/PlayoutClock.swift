import MediaGraph

/// Stands in for a provider that returns no playback markers (Azure ACS): each mark comes back when
/// the audio sent before it has played by the wall clock. The provider plays what it receives in
/// order and in real time, so audio sent at `now` finishes at `max(now, end of what was queued) +
/// its length`, as ``DownlinkPacer`` reckons.
///
/// Its error is the provider's own buffering and the network between: the docs say so, and the
/// ``PlayoutTracker``'s slack covers a frame or two.
///
/// - Threading: one per call, on the call's event loop.
/// - Realtime: not a media-thread type; a few entries live at once (the pacer's lead in frames).
struct PlayoutClock {
    private var due: [(mark: String, atNanos: UInt64)] = []
    private var playedUntilNanos: UInt64 = 0

    /// `frames` frames went out at `now`, followed by `mark`.
    mutating func sent(frames: Int, mark: String, nowNanos: UInt64) {
        playedUntilNanos = max(playedUntilNanos, nowNanos) + UInt64(frames * AudioFormat.frameDurationMs) * 1_000_000
        due.append((mark, playedUntilNanos))
    }

    /// Hands `body` every mark whose audio has played by `now`, oldest first.
    mutating func returnPlayed(nowNanos: UInt64, _ body: (String) -> Void) {
        var played = 0
        while played < due.count, due[played].atNanos <= nowNanos {
            body(due[played].mark)
            played += 1
        }
        if played > 0 { due.removeFirst(played) }
    }

    /// The provider dropped what it had queued: nothing pending will play.
    mutating func clear() {
        due.removeAll(keepingCapacity: true)
        playedUntilNanos = 0
    }
}
