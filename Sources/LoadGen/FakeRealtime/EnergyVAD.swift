/// The fake server's turn detector: an energy VAD over 20 ms blocks of the caller's audio.
///
/// A block is speech when its RMS exceeds ``Configuration/thresholdRMS`` (of 32767). Three speech
/// blocks in a row start a turn; its onset is the start of the first of them. A turn stops once
/// ``Configuration/silenceMs`` have passed since the end of its last speech block; the stop time is
/// the end of the block that made up the silence (so it includes the silence, as `audio_end_ms`
/// does on the real server). Times are milliseconds on the session's audio clock: `originMs` plus
/// the audio fed since.
///
/// - Threading: one instance per connection; used on that connection's event loop only.
/// - Ownership: a value.
/// - Realtime: safe (no allocation) but never used on a media thread.
struct EnergyVAD {
    struct Configuration {
        /// Block RMS above which a block is speech, of 32767: default 500.
        var thresholdRMS: Double = 500
        /// Quiet that ends a turn, in ms: default 500.
        var silenceMs: Int = 500
        /// Speech blocks in a row that start a turn: default 3 (60 ms).
        var minSpeechBlocks: Int = 3
    }

    /// A turn boundary, in ms of audio fed.
    enum Event: Equatable {
        case started(onsetMs: Int)
        case stopped(endMs: Int)
    }

    var configuration: Configuration
    let sampleRateHz: Int
    /// The audio clock when this detector started, in ms: block times count from here.
    let originMs: Int
    private let blockSamples: Int
    private var sumSquares = 0.0
    private var inBlock = 0
    private var blocks = 0
    private var speechRun = 0
    private var speaking = false
    private var lastSpeechEndMs = 0

    init(sampleRateHz: Int, originMs: Int, configuration: Configuration) {
        self.sampleRateHz = sampleRateHz
        self.originMs = originMs
        self.configuration = configuration
        blockSamples = max(1, sampleRateHz / 50)
    }

    /// True between a `started` and its `stopped`.
    var isSpeaking: Bool { speaking }

    /// Feeds one sample; returns the event its block completes, if any.
    mutating func feed(_ sample: Int16) -> Event? {
        let s = Double(sample)
        sumSquares += s * s
        inBlock += 1
        guard inBlock == blockSamples else { return nil }
        let rms = (sumSquares / Double(blockSamples)).squareRoot()
        sumSquares = 0
        inBlock = 0
        blocks += 1
        let blockEndMs = originMs + blocks * 20
        if rms > configuration.thresholdRMS {
            speechRun += 1
            lastSpeechEndMs = blockEndMs
            if !speaking, speechRun >= configuration.minSpeechBlocks {
                speaking = true
                return .started(onsetMs: blockEndMs - speechRun * 20)
            }
        } else {
            speechRun = 0
            if speaking, blockEndMs - lastSpeechEndMs >= configuration.silenceMs {
                speaking = false
                return .stopped(endMs: blockEndMs)
            }
        }
        return nil
    }
}
