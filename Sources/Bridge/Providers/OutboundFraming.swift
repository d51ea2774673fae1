import MediaGraph

/// How a provider wants the agent's audio cut into messages (shared/protocols.md §7).
///
/// - Threading: a value; safe anywhere.
struct OutboundFraming: Sendable {
    /// Frames (20 ms) per `media` message at least: Exotel plays 100 ms chunks (5). Fewer wait for
    /// more; a short batch that has waited as long as it would play is padded with silence.
    var minFrames = 1
    /// Frames per message at most: Vonage and ACS take one frame per message.
    var maxFrames = 10
    /// Whether the provider returns our playback markers. Without them (ACS) the call's
    /// ``PlayoutClock`` stands in: a frame counts as played when the pacing clock says it has.
    var returnsMarks = true

    /// Twilio, Telnyx, Plivo: any whole number of frames, marks returned.
    static let anyFrames = OutboundFraming()

    /// How far ahead of playback the downlink may run for this provider: at least two of its
    /// smallest messages, so one is always queued while the next is gathered.
    func downlinkLeadMs(atLeast configured: Int) -> Int {
        max(configured, 2 * minFrames * AudioFormat.frameDurationMs)
    }
}
