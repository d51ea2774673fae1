/// One 20 ms frame of audio in storage the graph preallocated.
///
/// `AudioFrame` is a view: it does not own its bytes. The ``Graph`` that made it allocates the
/// storage when it is built and frees it when it is destroyed, so a frame never outlives its graph
/// and a node must not keep one after `process` returns.
///
/// Samples are either encoded bytes (μ-law, A-law) or `Int16` PCM, per ``format``.
///
/// - Threading: used only on the media thread that owns the graph.
/// - Ownership: the graph owns `storage`; the frame borrows it.
/// - Realtime: safe; every member is plain arithmetic over preallocated memory.
public struct AudioFrame {
    /// What the bytes mean. Set by the graph from the negotiated format.
    public internal(set) var format: AudioFormat
    /// Valid samples per channel (normally ``AudioFormat/samplesPerFrame``).
    public var sampleCount: Int
    /// For Opus frames: the packet's length in bytes (0: the packet was lost). Unused otherwise.
    public var packetByteCount = 0
    /// Monotonic time (ns, `CLOCK_MONOTONIC`) the provider frame this audio came from arrived.
    /// Nodes pass it on untouched, so latency is measured end to end.
    public var arrivalNanos: UInt64
    /// The whole preallocated buffer (capacity in bytes).
    public let storage: UnsafeMutableRawBufferPointer

    init(format: AudioFormat, storage: UnsafeMutableRawBufferPointer) {
        self.format = format
        self.sampleCount = 0
        self.arrivalNanos = 0
        self.storage = storage
    }

    /// Valid bytes: `sampleCount × channels × bytesPerSample`, or the packet length for Opus.
    public var byteCount: Int {
        format.encoding == .opus ? packetByteCount : sampleCount * format.channels * format.encoding.bytesPerSample
    }

    /// The valid bytes, for encoded formats.
    public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: storage[0..<byteCount])
    }

    /// Makes this frame a copy of `input` (same format expected): samples, count and arrival time.
    /// For nodes that pass audio through unchanged.
    ///
    /// - Realtime: safe.
    public mutating func copyAudio(from input: borrowing AudioFrame) {
        sampleCount = input.sampleCount
        packetByteCount = input.packetByteCount
        arrivalNanos = input.arrivalNanos
        bytes.copyMemory(from: UnsafeRawBufferPointer(input.bytes))
    }

    /// Sum of squared samples and the root-mean-square of the frame (PCM only; 0 when empty).
    ///
    /// - Realtime: safe.
    public var energyAndRMS: (energy: Double, rms: Double) {
        let samples = pcm16
        var energy = 0.0
        for s in samples { energy += Double(s) * Double(s) }
        return (energy, samples.isEmpty ? 0 : (energy / Double(samples.count)).squareRoot())
    }

    /// The valid samples as `Int16`, for ``AudioFormat/Encoding/pcm16``.
    /// Traps in debug builds when the format is not PCM.
    public var pcm16: UnsafeMutableBufferPointer<Int16> {
        assert(format.encoding == .pcm16, "pcm16 view of a \(format) frame")
        // Safe: the storage is allocated with 16-byte alignment (Graph.makeFrame).
        let base = storage.baseAddress!.assumingMemoryBound(to: Int16.self)
        return UnsafeMutableBufferPointer(start: base, count: sampleCount * format.channels)
    }
}
