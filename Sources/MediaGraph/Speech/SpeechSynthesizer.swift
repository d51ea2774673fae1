import CAudio

/// Text to speech with espeak-ng (CAudio's `vd_tts`): whole phrases rendered at once into 16-bit
/// mono PCM at a chosen rate, for the built-in demo agent's prompts.
///
/// - Threading: any thread but a media thread; calls block while espeak-ng renders (tens of ms per
///   second of speech) and are serialised process-wide inside `vd_tts`.
/// - Ownership: owns its `vd_tts` handle; the returned samples are the caller's.
/// - Realtime: unsafe (allocates, blocks).
public final class SpeechSynthesizer: @unchecked Sendable {
    // @unchecked Sendable: vd_tts serialises every use of espeak-ng behind its own mutex.
    private let handle: OpaquePointer

    /// Why speech could not be made.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - voice: an espeak-ng voice name (`en-us`).
    ///   - wordsPerMinute: 80…450.
    ///   - sampleRateHz: 8000, 16000, 24000 or 48000.
    /// Throws ``Failure`` when espeak-ng or its data is missing, or a setting is out of range.
    public init(voice: String = "en-us", wordsPerMinute: Int = 165, sampleRateHz: Int) throws(Failure) {
        var err: Int32 = 0
        let made: OpaquePointer? = voice.withCString { name in
            var cfg = vd_tts_config(voice: name, rate_wpm: Int32(wordsPerMinute), sample_rate_hz: Int32(sampleRateHz))
            return vd_tts_create(&cfg, &err)
        }
        guard let made else { throw Failure(description: "espeak-ng: \(String(cString: vd_strerror(err)))") }
        handle = made
    }

    deinit { vd_tts_destroy(handle) }

    /// The whole of `text`, spoken.
    public func speak(_ text: String) throws(Failure) -> [Int16] {
        var samples: UnsafeMutablePointer<Int16>?
        var count = 0
        let rc = vd_tts_synthesize(handle, text, &samples, &count)
        guard rc == VD_OK, let samples else { throw Failure(description: "espeak-ng: \(String(cString: vd_strerror(rc)))") }
        defer { vd_tts_free_samples(samples) }
        return Array(UnsafeBufferPointer(start: samples, count: count))
    }
}
