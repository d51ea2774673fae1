/// Follows `media.timestamp` to find audio the provider lost or withheld (shared/protocols.md §1.4).
///
/// A frame whose timestamp lies beyond the previous timestamp plus the previous payload's duration
/// opens a gap, to be filled with silence so the media clock stays linear; a timestamp that goes
/// backwards resynchronises without padding.
///
/// - Threading: one per call, on the call's event loop.
/// - Realtime: safe.
public struct MediaTimeline: Sendable {
    /// Bytes of provider audio per millisecond (8 for μ-law 8 kHz).
    public let bytesPerMs: Int
    private var expectedMs: UInt64?

    public init(bytesPerMs: Int) { self.bytesPerMs = bytesPerMs }

    /// Records a frame at `timestampMs` carrying `payloadBytes`; returns the gap before it in
    /// milliseconds (0 when none).
    public mutating func advance(timestampMs: UInt64, payloadBytes: Int) -> Int {
        let duration = UInt64(payloadBytes / bytesPerMs)
        defer { expectedMs = timestampMs + duration }
        guard let expectedMs, timestampMs > expectedMs else { return 0 }
        return Int(clamping: timestampMs - expectedMs)
    }
}
