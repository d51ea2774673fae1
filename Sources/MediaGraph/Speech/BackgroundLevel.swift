/// The level of what surrounds speech: the level below which a share (30 %) of the last chunks'
/// levels fell (2 s of 32 ms chunks). In babble, a café or a car it sits at the noise; in a quiet
/// room, at the silence between words. ``SileroVADNode`` asks a chunk to rise 6 dB above it to
/// start speech and to stay above it to keep speech — what tells the caller from voices behind
/// them, which a speech detector alone hears as speech.
///
/// - Threading: one thread (the node's media thread).
/// - Ownership: allocates its history at init, frees it in deinit.
/// - Realtime: `add` is safe (an insertion into a sorted array of `count` levels).
final class BackgroundLevel {
    private let share: Float
    /// Levels in arrival order (a ring) and the same levels sorted.
    private let history: UnsafeMutableBufferPointer<Float>
    private let sorted: UnsafeMutableBufferPointer<Float>
    private var filled = 0
    private var next = 0

    /// - Realtime: unsafe (allocates).
    init(count: Int, share: Float) {
        self.share = share
        history = .allocate(capacity: count)
        history.initialize(repeating: 0)
        sorted = .allocate(capacity: count)
        sorted.initialize(repeating: 0)
    }

    deinit {
        history.deallocate()
        sorted.deallocate()
    }

    /// Adds one chunk's level (dBFS) and returns the background level including it.
    ///
    /// - Realtime: safe.
    func add(_ levelDb: Float) -> Float {
        if filled == history.count {
            remove(history[next])
        } else {
            filled += 1
        }
        history[next] = levelDb
        next = (next + 1) % history.count
        insert(levelDb)
        return sorted[Int(Float(filled - 1) * share)]
    }

    /// Removes one occurrence of `level` from the first `filled` sorted levels.
    private func remove(_ level: Float) {
        var i = 0
        while i < filled - 1, sorted[i] != level { i += 1 }
        while i < filled - 1 {
            sorted[i] = sorted[i + 1]
            i += 1
        }
    }

    /// Inserts `level` into the first `filled - 1` sorted levels.
    private func insert(_ level: Float) {
        var i = filled - 1
        while i > 0, sorted[i - 1] > level {
            sorted[i] = sorted[i - 1]
            i -= 1
        }
        sorted[i] = level
    }
}
