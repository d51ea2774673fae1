import MediaGraph

/// Sends a call's provider-format frames the way its provider wants them (``OutboundFraming``):
/// for an interruptible agent, as few frames per `media` as the provider takes, each followed by a
/// mark, so what was played is known to a message when the caller interrupts; otherwise up to the
/// provider's maximum per message (200 ms at most). A batch shorter than the provider's minimum
/// waits for more frames and, once it has waited as long as it would play, is padded with silence
/// and sent. A packetized format (Opus) goes one packet per message, whatever the provider takes.
/// Marks go to the provider, or to the ``PlayoutClock`` when it returns none.
///
/// - Threading: one per call, on the call's event loop.
/// - Ownership: owns the gathering buffer (freed in deinit).
/// - Realtime: not a media-thread type; allocation-free apart from NIO's message buffers and one
///   mark name per message.
final class ProviderAudioSender {
    let framing: OutboundFraming
    private let format: AudioFormat
    private let scratch: UnsafeMutableRawBufferPointer
    /// Frames gathered in `scratch` and not sent yet, their bytes, and when the first of them was
    /// gathered.
    private var gathered = 0
    private var gatheredBytes = 0
    private var gatheredSinceNanos: UInt64 = 0
    private var clock = PlayoutClock()

    /// Frames per message at most when the agent cannot be interrupted (200 ms).
    private static let maxFramesPerMessage = 10

    init(framing: OutboundFraming, format: AudioFormat) {
        self.framing = framing
        self.format = format
        let frames = max(framing.minFrames, min(framing.maxFrames, Self.maxFramesPerMessage))
        scratch = .allocate(byteCount: format.bytesPerFrame * frames, alignment: 16)
    }

    deinit { scratch.deallocate() }

    /// Sends ready frames while `provider` is writable (a slow provider leaves audio in the rings:
    /// back-pressure up to the agent's socket). Returns the frames sent (padding not counted).
    func send(from pipeline: CallPipeline, to provider: ProviderOutput, tracker: inout PlayoutTracker,
              interruptible: Bool, nowNanos: UInt64) -> Int {
        let perMessage = format.encoding.isPacketized ? 1
            : interruptible ? framing.minFrames : max(framing.minFrames, min(framing.maxFrames, Self.maxFramesPerMessage))
        let bytesPerFrame = format.bytesPerFrame
        var sent = 0
        while provider.isWritable {
            if gathered < perMessage {
                let before = gathered
                let scratch = scratch
                var end = gatheredBytes
                gathered += pipeline.readProviderAudio(maxFrames: perMessage - gathered) { bytes, _ in
                    UnsafeMutableRawBufferPointer(rebasing: scratch[end...]).copyMemory(from: bytes)
                    end += bytes.count
                }
                gatheredBytes = end
                if before == 0, gathered > 0 { gatheredSinceNanos = nowNanos }
            }
            guard gathered > 0 else { break }
            let audio = gathered
            if audio < framing.minFrames {
                // Short: wait for more while the agent's audio is still queued or until it has
                // waited as long as its frames would play.
                let waitedNanos = nowNanos &- gatheredSinceNanos
                guard pipeline.agentAudioQueued == 0,
                      waitedNanos >= UInt64(framing.minFrames * AudioFormat.frameDurationMs) * 1_000_000 else { break }
                UnsafeMutableRawBufferPointer(rebasing: scratch[(audio * bytesPerFrame)..<(framing.minFrames * bytesPerFrame)])
                    .initializeMemory(as: UInt8.self, repeating: format.silenceByte)
                gathered = framing.minFrames
                gatheredBytes = gathered * bytesPerFrame
            }
            let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<gatheredBytes])
            // An empty packet (an Opus encode that failed) is not sent: the far end conceals it.
            if !bytes.isEmpty { provider.send { $0.media(bytes, allocator: $1) } }
            if interruptible, tracker.hasQueuedFrames {
                let mark = tracker.sent(frames: audio)
                if framing.returnsMarks {
                    provider.send { $0.mark(mark, allocator: $1) }
                } else {
                    clock.sent(frames: gathered, mark: mark, nowNanos: nowNanos)
                }
            }
            sent += audio
            gathered = 0
            gatheredBytes = 0
        }
        return sent
    }

    /// When a short batch now held will be padded and sent if nothing more comes (nil: none
    /// held). The session looks again then: no inbound audio may come to wake it.
    var padDueNanos: UInt64? {
        guard gathered > 0, gathered < framing.minFrames else { return nil }
        return gatheredSinceNanos + UInt64(framing.minFrames * AudioFormat.frameDurationMs) * 1_000_000
    }

    /// For a provider without marks: hands `body` the marks whose audio has played by `now`.
    func returnPlayedMarks(nowNanos: UInt64, _ body: (String) -> Void) {
        clock.returnPlayed(nowNanos: nowNanos, body)
    }

    /// A barge-in flushed the agent's audio: frames gathered here are part of it, and nothing the
    /// provider had queued will play.
    func discard() {
        gathered = 0
        gatheredBytes = 0
        clock.clear()
    }
}
