import COpusEnc
import MediaGraph

/// One call's recording: a stereo Ogg Opus file (libopusenc), the caller on the left and the agent
/// on the right, at the provider's rate, time-aligned.
///
/// The caller's frames set the timeline: the provider sends them in real time, one 20 ms slot each
/// from the first. An agent frame plays at the provider when the one before it has finished (or at
/// once after a pause): it goes into the slot of that playout time. A slot is written once it is
/// half a second old, so agent audio sent ahead of time (the pacer's lead) still finds its slot; one
/// whose slot has gone is put into the next slot still open.
///
/// - Threading: the recording writer's thread only.
/// - Ownership: owns the encoder and the file until `finish()`.
final class CallRecorder {
    /// How long a slot waits for agent audio before it is written.
    static let holdNanos: UInt64 = 500_000_000
    static let slotNanos = UInt64(AudioFormat.frameDurationMs) * 1_000_000

    let path: String
    let tap: RecordingTap
    private let encoder: OpaquePointer
    private let decode: NodeChain
    private let samples: Int
    /// The first caller frame's time: slot k starts at origin + 20 ms × k.
    private var origin: UInt64?
    private var callerFrames = 0
    /// Slots not written yet, from `nextSlot`: caller and agent samples (nil: silence).
    private var pending: [Int: (caller: [Int16]?, agent: [Int16]?)] = [:]
    private var nextSlot = 0
    /// When the agent's last frame ends playing at the provider.
    private var agentPlayEnd: UInt64 = 0

    /// Creates `path`. Throws when libopusenc cannot.
    init(path: String, tap: RecordingTap, title: String) throws {
        let format = tap.format
        let pcm = AudioFormat(encoding: .pcm16, sampleRateHz: format.sampleRateHz)
        decode = try NodeChain(nodes: FormatConversion.nodes(from: format, to: pcm), input: format)
        samples = pcm.samplesPerFrame
        let comments = ope_comments_create()
        defer { ope_comments_destroy(comments) }
        ope_comments_add(comments, "TITLE", title)
        ope_comments_add(comments, "ENCODER", "voiced")
        var error: Int32 = 0
        guard let encoder = ope_encoder_create_file(path, comments, Int32(format.sampleRateHz), 2, 0, &error) else {
            throw RecordingError(description: "cannot create \(path): \(String(cString: ope_strerror(error)))")
        }
        self.encoder = encoder
        self.path = path
        self.tap = tap
    }

    /// Takes what the media thread sent, then writes the slots older than `nowNanos` − the hold.
    func service(nowNanos: UInt64) {
        tap.drain { side, time, bytes in
            let pcm = decoded(bytes)
            switch side {
            case .caller:
                if origin == nil { origin = time }
                pending[callerFrames, default: (nil, nil)].caller = pcm
                callerFrames += 1
            case .agent:
                guard let origin else { return }
                let plays = max(time, agentPlayEnd)
                agentPlayEnd = plays + Self.slotNanos
                var slot = max(nextSlot, Int((plays &- min(plays, origin)) / Self.slotNanos))
                while pending[slot]?.agent != nil { slot += 1 }
                pending[slot, default: (nil, nil)].agent = pcm
            }
        }
        guard let origin, nowNanos > origin + Self.holdNanos else { return }
        let due = Int((nowNanos - origin - Self.holdNanos) / Self.slotNanos)
        write(through: min(due, callerFrames - 1))
    }

    /// Writes every slot left and closes the file.
    func finish() {
        service(nowNanos: 0)
        write(through: max(callerFrames, (pending.keys.max() ?? -1) + 1) - 1)
        ope_encoder_drain(encoder)
        ope_encoder_destroy(encoder)
    }

    private func write(through last: Int) {
        guard last >= nextSlot else { return }
        var stereo = [Int16](repeating: 0, count: samples * 2)
        while nextSlot <= last {
            let slot = pending.removeValue(forKey: nextSlot)
            for i in 0..<samples {
                stereo[2 * i] = slot?.caller?[i] ?? 0
                stereo[2 * i + 1] = slot?.agent?[i] ?? 0
            }
            _ = stereo.withUnsafeBufferPointer { ope_encoder_write(encoder, $0.baseAddress, Int32(samples)) }
            nextSlot += 1
        }
    }

    private func decoded(_ bytes: UnsafeRawBufferPointer) -> [Int16] {
        decode.input.pointee.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(decode.input.pointee.bytes.count)))
        decode.input.pointee.sampleCount = decode.input.pointee.format.samplesPerFrame
        decode.run()
        let out = UnsafeRawBufferPointer(decode.output.pointee.bytes)
        return (0..<samples).map { out.load(fromByteOffset: 2 * $0, as: Int16.self) }
    }
}

struct RecordingError: Error, CustomStringConvertible {
    var description: String
}
