/// A ``SileroAnalyzer`` on an analysis thread, between two SPSC rings: the node's media thread
/// pushes each 32 ms chunk (floats; its media time in ms in the slot's time word) to `requests` and
/// wakes the worker; the worker analyses every queued chunk and pushes its speech probability and
/// level, with the same stamp, to `results`, which the node drains on its next frame.
///
/// Each ring holds 16 chunks (half a second): a worker that far behind makes the node drop chunks
/// (counted by `requests.dropped`; the node keeps its last decision over the gap) rather than
/// block the media thread.
///
/// - Threading: `requests`' producer and `results`' consumer: the node's media thread;
///   `requests`' consumer, `results`' producer and the analyzer: the worker it was opened on.
/// - Ownership: the node holds it and closes it (off the media thread) when the graph goes; the
///   worker holds it while analysing.
/// - Realtime: the node's side (push, wake, drain) is safe.
final class SileroStream: AnalysisStream, @unchecked Sendable {
    // @unchecked Sendable: the rings are SPSC between the two threads above; the analyzer is the
    // worker's alone.

    /// What the rings' slots hold.
    enum Slot: UInt32, RingTag {
        /// A chunk of samples (Float payload); `time`: its media time in ms.
        case chunk = 1
        /// `value`: the chunk's ``SileroAnalyzer/Analysis`` (packed); `time`: the chunk's media time.
        case analysis = 2
        /// ONNX Runtime failed on the chunk; `time`: the chunk's media time.
        case failed = 3
    }

    static let ringSlots = 16

    let requests: FrameRing<Slot>
    let results: FrameRing<Slot>
    private let analyzer: SileroAnalyzer
    private let worker: AnalysisThreads.Worker

    /// Opens the stream on one of `threads`' workers.
    ///
    /// - Realtime: unsafe (allocates, locks); control thread.
    init(model: SileroModel, sampleRateHz: Int, threads: AnalysisThreads) throws(GraphBuildError) {
        analyzer = SileroAnalyzer(model: model, sampleRateHz: sampleRateHz)
        do {
            requests = try FrameRing(slots: Self.ringSlots, slotBytes: analyzer.chunkSamples * MemoryLayout<Float>.size)
            results = try FrameRing(slots: Self.ringSlots, slotBytes: 0)
        } catch {
            throw .unavailable(node: "silero-vad", reason: "\(error)")
        }
        worker = threads.leastBusy
        try worker.add(self)
    }

    /// Stops the worker analysing this stream.
    ///
    /// - Realtime: unsafe (locks); never on a media thread.
    func close() { worker.remove(self) }

    /// Queues one chunk and wakes the worker; false (counted in `requests.dropped`) when the
    /// worker is half a second behind.
    ///
    /// - Realtime: safe (the node's media thread).
    func submit(_ chunk: UnsafeBufferPointer<Float>, mediaMs: UInt64) -> Bool {
        let pushed = requests.push(.chunk, time: mediaMs, payload: UnsafeRawBufferPointer(chunk))
        worker.wake()
        return pushed
    }

    var hasPending: Bool { requests.count > 0 }

    func analyzePending() {
        while let slot = requests.peek() {
            let mediaMs = slot.pointee.time_ns
            UnsafeMutableRawBufferPointer(analyzer.chunk).copyMemory(from: slot.payload)
            requests.release()
            if let analysis = analyzer.analyze() {
                _ = results.push(.analysis, time: mediaMs, value: analysis.packed)
            } else {
                _ = results.push(.failed, time: mediaMs)
            }
        }
    }
}
