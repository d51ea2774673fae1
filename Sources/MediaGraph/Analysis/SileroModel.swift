import CAudio
#if canImport(Glibc)
import Glibc
#endif

/// The Silero VAD network (v5 and later: `silero_vad.onnx` of the `silero-vad` package, checked
/// with one silent window at load) on ONNX Runtime, loaded once per process and shared by every call:
/// a stream's own memory (the network's recurrent state, the samples carried between windows) is
/// its ``SileroAnalyzer``'s.
///
/// Where the files are: `$VOICED_ONNXRUNTIME` or ``defaultRuntimePath`` (ONNX Runtime's shared
/// library) and `$VOICED_SILERO_MODEL` or ``defaultModelPath`` (`silero_vad.onnx`), both put
/// there by scripts/install-deps.
///
/// - Threading: `probability` from any thread, several at once (ONNX Runtime runs one session
///   from many threads); each caller brings its own state.
/// - Ownership: one for the process, never freed.
/// - Realtime: unsafe — every run allocates inside ONNX Runtime: run it on an analysis thread.
public final class SileroModel: @unchecked Sendable {
    // @unchecked Sendable: the C model is immutable after load and its run is thread-safe.

    public static let defaultRuntimePath = "/usr/local/lib/voiced/libonnxruntime.so.1"
    public static let defaultModelPath = "/usr/local/share/voiced/silero_vad.onnx"

    private let model: OpaquePointer

    private init(model: OpaquePointer) { self.model = model }

    /// Loaded on first use; a failure is kept and reported to every graph that asks.
    private static let loaded: Result<SileroModel, GraphBuildError> = {
        let runtime = environment("VOICED_ONNXRUNTIME") ?? defaultRuntimePath
        let path = environment("VOICED_SILERO_MODEL") ?? defaultModelPath
        var error = [CChar](repeating: 0, count: 512)
        guard let model = vd_vad_model_load(runtime, path, &error, error.count) else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(.unavailable(node: "silero-vad", reason: reason + " (run scripts/install-deps to install ONNX Runtime and the "
                                           + "Silero model, or set VOICED_ONNXRUNTIME and VOICED_SILERO_MODEL to where they are)"))
        }
        return .success(SileroModel(model: model))
    }()

    /// The process's model, loaded on first call.
    ///
    /// - Realtime: unsafe (the first call loads the library and the model); control thread.
    public static func shared() throws(GraphBuildError) -> SileroModel { try loaded.get() }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// Samples the model takes before each chunk (from the chunk before), and per chunk, at
    /// `sampleRateHz` (8000 or 16000): 32 + 256 or 64 + 512, 32 ms of new audio either way.
    public static func contextSamples(sampleRateHz: Int) -> Int { Int(vd_vad_context_samples(Int32(sampleRateHz))) }
    public static func chunkSamples(sampleRateHz: Int) -> Int { Int(vd_vad_chunk_samples(Int32(sampleRateHz))) }
    /// Floats in a stream's recurrent state.
    public static let stateFloats = Int(VD_VAD_STATE_FLOATS)

    /// The probability that a window's chunk is speech; updates `state`. Nil when ONNX Runtime
    /// reports an error (the model ran a silent window at load, so only a broken runtime or a
    /// window of the wrong size: the node counts these as `failed` chunks).
    ///
    /// - Realtime: unsafe (allocates); analysis thread or offline.
    func probability(window: UnsafeBufferPointer<Float>, sampleRateHz: Int, state: UnsafeMutablePointer<Float>) -> Float? {
        var probability: Float = 0
        let rc = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { error in
            vd_vad_model_run(model, window.baseAddress!, Int32(window.count), Int32(sampleRateHz), state, &probability,
                             error.baseAddress!, error.count)
        }
        return rc == VD_OK ? probability : nil
    }
}
