/// Holds what a provider makes a call process to real time: since the call's first `media`, the
/// audio admitted (payloads plus the silence that fills timestamp gaps) never exceeds the time that
/// passed plus a burst allowance (a provider catching up after a network stall). Beyond that a
/// payload is dropped, and gap silence is cut to what is left, so neither a flood of messages nor
/// timestamps that jump ahead can make a call cost more than a real one. Credit saved by a quiet
/// provider is kept for at most ``maxBankMs`` (a stall that long can still be filled with silence),
/// so minutes of silence cannot pay for a flood.
///
/// - Threading: one per call, on the call's event loop.
/// - Realtime: safe (arithmetic only).
struct RealTimeGuard {
    /// What one message may bring into the call.
    struct Admission: Equatable {
        /// Whether the payload itself goes in.
        var audio: Bool
        /// Milliseconds of the timestamp gap to fill with silence (at most what was asked).
        var silenceMs: Int
    }

    /// Audio a provider may send ahead of real time.
    let burstMs: Int
    /// Real time a quiet provider may save up: the longest gap filled with silence.
    let maxBankMs: Int
    private var firstNanos: UInt64?
    private var admittedMs = 0

    init(burstMs: Int, maxBankMs: Int = 10_000) {
        self.burstMs = burstMs
        self.maxBankMs = maxBankMs
    }

    /// Admits a message of `audioMs` that arrived at `nowNanos` after a timestamp gap of `gapMs`.
    /// The payload comes first: silence only fills what credit the payload leaves.
    mutating func admit(audioMs: Int, gapMs: Int, nowNanos: UInt64) -> Admission {
        let first = firstNanos ?? nowNanos
        firstNanos = first
        let elapsedMs = Int(clamping: (nowNanos &- first) / 1_000_000)
        admittedMs = max(admittedMs, elapsedMs - maxBankMs)
        let credit = elapsedMs + burstMs - admittedMs
        guard audioMs <= credit else { return Admission(audio: false, silenceMs: 0) }
        let silenceMs = max(0, min(gapMs, credit - audioMs))
        admittedMs += audioMs + silenceMs
        return Admission(audio: true, silenceMs: silenceMs)
    }
}
