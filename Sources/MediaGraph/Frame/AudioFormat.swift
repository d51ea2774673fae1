/// What the bytes of an ``AudioFrame`` mean: sample encoding, rate and channel count.
///
/// - Threading: a value type; safe anywhere.
/// - Realtime: safe.
public struct AudioFormat: Hashable, Sendable, CustomStringConvertible {
    /// How one sample is stored.
    public enum Encoding: String, Sendable {
        /// 16-bit signed little-endian linear PCM (`Int16`, full scale ±32767). The graph's internal form.
        case pcm16
        /// G.711 μ-law, one byte a sample (Twilio, Telnyx).
        case mulaw
        /// G.711 A-law, one byte a sample (Telnyx PCMA).
        case alaw
        /// Opus: one packet per 20 ms frame (variable length, `AudioFrame.packetByteCount`);
        /// `sampleRateHz` is the rate it is encoded from and decoded to.
        case opus

        /// Bytes one sample of one channel takes (0 for Opus, whose packets have no fixed size).
        public var bytesPerSample: Int {
            switch self {
            case .pcm16: 2
            case .mulaw, .alaw: 1
            case .opus: 0
            }
        }

        /// Whether audio comes in packets, one per 20 ms frame, that must not be cut or joined
        /// (Opus), rather than a byte stream that may be cut anywhere on a sample boundary.
        public var isPacketized: Bool { self == .opus }
    }

    public var encoding: Encoding
    public var sampleRateHz: Int
    public var channels: Int

    public init(encoding: Encoding, sampleRateHz: Int, channels: Int = 1) {
        self.encoding = encoding
        self.sampleRateHz = sampleRateHz
        self.channels = channels
    }

    /// Twilio's and most carriers' wire format: μ-law, 8 kHz, mono.
    public static let telephonyMuLaw = AudioFormat(encoding: .mulaw, sampleRateHz: 8000)
    /// Linear PCM at 8 kHz, mono.
    public static let pcm8k = AudioFormat(encoding: .pcm16, sampleRateHz: 8000)

    /// The rates libsamplerate-, Opus- and webrtc-backed nodes are built for (webrtc: 8 and 16 only).
    public static let commonRatesHz = [8000, 16000, 24000, 48000]

    /// The graph's frame length. Every node sees exactly one 20 ms frame per call.
    public static let frameDurationMs = 20

    /// The byte that fills silence in this format: 0xFF for μ-law, 0xD5 for A-law (protocols.md §6),
    /// 0 for PCM.
    public var silenceByte: UInt8 {
        switch encoding {
        case .mulaw: 0xFF
        case .alaw: 0xD5
        case .pcm16, .opus: 0
        }
    }

    /// Samples per channel in one 20 ms frame.
    public var samplesPerFrame: Int { sampleRateHz * Self.frameDurationMs / 1000 }
    /// Bytes in one 20 ms frame, all channels (for Opus, the largest packet: 1275 bytes).
    public var bytesPerFrame: Int { encoding == .opus ? 1275 : samplesPerFrame * channels * encoding.bytesPerSample }

    public var description: String { "\(encoding.rawValue) \(sampleRateHz) Hz \(channels == 1 ? "mono" : "\(channels) ch")" }
}
