import COpusEnc
import MediaGraph

/// One call's recording: a stereo Ogg Opus file (libopusenc), the caller on the left and the agent
/// on the right, at the provider's rate, aligned in 20 ms slots.
///
/// The caller's frames set the timeline: the provider sends one every 20 ms, slot after slot. The
/// media thread puts both sides into the tap in the order it handles them, so an agent frame comes
/// after the caller frames that arrived before it went out: it plays at the provider while the next
/// caller frame arrives, or right after the agent's previous frame when that is still playing (the
/// pacer sends up to 100 ms ahead). Slots before the last caller frame are final and written; the
/// rest wait for their caller frames, or for `finish()`.
///
/// - Threading: the recording writer's thread only.
/// - Ownership: owns the encoder and the file until `finish()`.
final class CallRecorder {
    let path: String
    let tap: RecordingTap
    private let encoder: OpaquePointer
    /// Provider format → PCM, one chain per side (an Opus decoder keeps its stream's history).
    private let decodeCaller: NodeChain
    private let decodeAgent: NodeChain
    private let samples: Int
    private var callerFrames = 0
    /// Slots not written yet, from `nextSlot`: caller and agent samples (nil: silence).
    private var pending: [Int: (caller: [Int16]?, agent: [Int16]?)] = [:]
    private var nextSlot = 0
    /// The slot after the agent's last frame.
    private var nextAgentSlot = 0

    /// Creates `path`. Throws when libopusenc cannot.
    init(path: String, tap: RecordingTap, title: String) throws {
        let format = tap.format
        let pcm = AudioFormat(encoding: .pcm16, sampleRateHz: format.sampleRateHz)
        decodeCaller = try NodeChain(nodes: FormatConversion.nodes(from: format, to: pcm), input: format)
        decodeAgent = try NodeChain(nodes: FormatConversion.nodes(from: format, to: pcm), input: format)
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

    /// Takes what the media thread sent and writes the slots that are final.
    func service() {
        tap.drain { side, bytes in
            switch side {
            case .caller:
                let pcm = decoded(bytes, by: decodeCaller)
                pending[callerFrames, default: (nil, nil)].caller = pcm
                callerFrames += 1
            case .agent:
                let pcm = decoded(bytes, by: decodeAgent)
                let slot = max(callerFrames, nextAgentSlot)
                pending[slot, default: (nil, nil)].agent = pcm
                nextAgentSlot = slot + 1
            }
        }
        write(through: callerFrames - 1)
    }

    /// Writes every slot left and closes the file.
    func finish() {
        service()
        write(through: max(callerFrames, nextAgentSlot) - 1)
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

    private func decoded(_ bytes: UnsafeRawBufferPointer, by decode: NodeChain) -> [Int16] {
        // The frame's byte view follows its sample count (its packet length for Opus): set it first.
        decode.input.pointee.sampleCount = decode.input.pointee.format.samplesPerFrame
        decode.input.pointee.packetByteCount = min(bytes.count, decode.input.pointee.storage.count)
        decode.input.pointee.bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(decode.input.pointee.bytes.count)))
        decode.run()
        let out = UnsafeRawBufferPointer(decode.output.pointee.bytes)
        return (0..<samples).map { out.load(fromByteOffset: 2 * $0, as: Int16.self) }
    }
}

struct RecordingError: Error, CustomStringConvertible {
    var description: String
}
