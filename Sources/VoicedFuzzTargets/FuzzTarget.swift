/// One libFuzzer target: a parser or C entry point fed arbitrary bytes. It must return for every
/// input — no crash, no hang, no leak, memory bounded — whatever it makes of it (most inputs are
/// rejected, which is the point). `voiced-fuzz` (Sources/VoicedFuzz) runs one under libFuzzer;
/// FuzzRegressionTests runs every committed corpus file (Fuzz/Corpus/NAME) through each.
///
/// - Threading: `run` from one thread at a time.
public struct FuzzTarget: Sendable {
    public let name: String
    public let summary: String
    public let run: @Sendable (UnsafeRawBufferPointer) -> Void

    init(_ name: String, _ summary: String, run: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Every target. Empty in a release build: the targets reach voiced's internal parsers, which
    /// only a debug build (compiled for testing) exposes — the fuzz build is a debug build.
    public static var all: [FuzzTarget] {
        #if DEBUG
        WireTargets.all + TextTargets.all + AudioTargets.all
        #else
        []
        #endif
    }

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Splits a fuzz input into messages at 0xFF bytes (never valid in UTF-8 text, so a message sequence
/// is one input): a provider's `start`, then its `media`, then its `stop`…
func messages(_ bytes: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
    var parts: [UnsafeRawBufferPointer] = []
    var start = 0
    for i in 0..<bytes.count where bytes[i] == 0xFF {
        parts.append(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        start = i + 1
    }
    parts.append(UnsafeRawBufferPointer(rebasing: bytes[start...]))
    return parts
}

/// A reader of numbers from the front of a fuzz input (sizes, rates, flags), the rest left as data.
struct FuzzInput {
    private var bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next byte, or 0 when none is left.
    mutating func byte() -> UInt8 {
        guard let first = bytes.first else { return 0 }
        bytes = UnsafeRawBufferPointer(rebasing: bytes[1...])
        return first
    }

    /// The next two bytes as a number.
    mutating func uint16() -> Int { Int(byte()) << 8 | Int(byte()) }

    /// What is left.
    var rest: UnsafeRawBufferPointer { bytes }
}
