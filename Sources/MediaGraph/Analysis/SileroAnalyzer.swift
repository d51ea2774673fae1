#if canImport(Glibc)
import Glibc
#endif

/// One audio stream's run of the shared ``SileroModel``: the network's recurrent state and the
/// window it reads — the last samples of the previous chunk, then the chunk — so consecutive
/// chunks are analysed as one continuous signal.
///
/// - Threading: one thread at a time: the analysis thread its ``SileroStream`` is on, or the
///   thread running an offline graph.
/// - Ownership: allocates the window and state at init, frees them in deinit.
/// - Realtime: `analyze` is unsafe (ONNX Runtime allocates); filling ``chunk`` is safe.
final class SileroAnalyzer {
    let sampleRateHz: Int
    let contextSamples: Int
    let chunkSamples: Int
    private let model: SileroModel
    private let window: UnsafeMutableBufferPointer<Float>
    private let state: UnsafeMutablePointer<Float>
    /// Where the next chunk's samples go (the window after the context), in [-1, 1].
    let chunk: UnsafeMutableBufferPointer<Float>

    /// - Realtime: unsafe (allocates).
    init(model: SileroModel, sampleRateHz: Int) {
        self.model = model
        self.sampleRateHz = sampleRateHz
        contextSamples = SileroModel.contextSamples(sampleRateHz: sampleRateHz)
        chunkSamples = SileroModel.chunkSamples(sampleRateHz: sampleRateHz)
        window = .allocate(capacity: contextSamples + chunkSamples)
        window.initialize(repeating: 0)
        state = .allocate(capacity: SileroModel.stateFloats)
        state.initialize(repeating: 0, count: SileroModel.stateFloats)
        chunk = UnsafeMutableBufferPointer(rebasing: window[contextSamples...])
    }

    deinit {
        window.deallocate()
        state.deallocate()
    }

    /// What one chunk holds: the probability that it is speech, and its level (dBFS, −100 for
    /// digital silence).
    struct Analysis {
        var probability: Float
        var levelDb: Float

        /// Both in one word, for a ring slot's `value`.
        var packed: UInt64 { UInt64(levelDb.bitPattern) << 32 | UInt64(probability.bitPattern) }
        init(probability: Float, levelDb: Float) {
            self.probability = probability
            self.levelDb = levelDb
        }
        init(packed: UInt64) {
            probability = Float(bitPattern: UInt32(truncatingIfNeeded: packed))
            levelDb = Float(bitPattern: UInt32(truncatingIfNeeded: packed >> 32))
        }
    }

    /// Analyses the chunk now in ``chunk`` (nil if ONNX Runtime failed), then keeps its last samples
    /// as the next window's context.
    ///
    /// - Realtime: unsafe (allocates inside ONNX Runtime).
    func analyze() -> Analysis? {
        var energy: Float = 0
        for sample in chunk { energy += sample * sample }
        let levelDb = energy > 0 ? 10 * log10(energy / Float(chunk.count)) : -100
        let probability = model.probability(window: UnsafeBufferPointer(window), sampleRateHz: sampleRateHz, state: state)
        window.baseAddress!.update(from: window.baseAddress! + chunkSamples, count: contextSamples)
        return probability.map { Analysis(probability: $0, levelDb: max(-100, levelDb)) }
    }
}
