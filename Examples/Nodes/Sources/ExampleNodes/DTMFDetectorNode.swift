import Foundation
import MediaGraph

/// Uplink: hears DTMF key presses in the caller's audio — tones the phone sent in-band, which not
/// every provider turns into `dtmf` messages — and posts a ``NodeEvent`` `dtmf` per key press with
/// the digit (`0`–`9`, `*`, `#`, `A`–`D`) as its detail and the tones' level (dBFS) as its value,
/// stamped with the media time the tones began. The audio passes unchanged.
///
/// Each 20 ms frame is one Goertzel block: the power at the four row and four column frequencies
/// (ITU-T Q.23) against the frame's energy. A frame holds a digit when one row and one column tone
/// carry most of the energy (``minimumToneShare``), each stands well above the others of its group
/// (no two rows, no two columns) and the two are within 8 dB of each other (twist). Two frames in a
/// row with the same digit (40 ms, Q.24's shortest press) post it; the key must be released (a
/// frame without it) before it counts again. Speech rarely holds two pure tones that long.
///
/// - Threading: see ``MediaNode``. - Realtime: `process` is safe (a few multiply-adds per sample).
public final class DTMFDetectorNode: MediaNode {
    public let name = "dtmf"
    /// The share of a frame's energy the row and column tones must carry together: default 0.7.
    public let minimumToneShare: Double
    /// The quietest frame examined, in dBFS: default −45.
    public let floorDBFS: Double

    private static let rows: [Double] = [697, 770, 852, 941]
    private static let columns: [Double] = [1209, 1336, 1477, 1633]

    private let scope: GraphScope
    /// Goertzel coefficients (2 cos ω), rows then columns; set in `prepare`.
    private var coefficients: [Double] = []
    private var rateHz = 8000
    private var floorEnergy = 0.0
    private var events: EventLane?

    // Media-thread state.
    private var mediaMs: UInt64 = 0
    /// The digit the last frame held (index into the key pad), or -1.
    private var candidate = -1
    private var candidateSinceMs: UInt64 = 0
    private var candidateLevel = 0.0
    /// Whether `candidate` was posted already (the key is still down).
    private var posted = false

    public init(scope: GraphScope, minimumToneShare: Double = 0.7, floorDBFS: Double = -45) {
        self.scope = scope
        self.minimumToneShare = minimumToneShare
        self.floorDBFS = floorDBFS
    }

    /// From a spec: `dtmf(min-tone-percent=70, floor-dbfs=-45)`.
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        self.init(scope: context.scope,
                  minimumToneShare: Double(try context.parameters.int("min-tone-percent", default: 70, in: 30...99)) / 100,
                  floorDBFS: Double(try context.parameters.int("floor-dbfs", default: -45, in: -90...0)))
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1, input.sampleRateHz >= 8000 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000 Hz or more")
        }
        rateHz = input.sampleRateHz
        let rate = Double(rateHz)
        coefficients = (Self.rows + Self.columns).map { 2 * cos(2 * Double.pi * $0 / rate) }
        // The floor as a frame energy: N × (full scale × 10^(dB/20))².
        let amplitude = 32767 * pow(10, floorDBFS / 20)
        floorEnergy = Double(input.samplesPerFrame) * amplitude * amplitude
        events = try scope.events()
        return input
    }

    /// Eight Goertzel filters over each sample of a frame above the floor: 12,900 at 8 kHz on speech
    /// (callgrind: `scripts/instructions`, its graph less `passthrough`).
    public var instructionsPerFrame: Int { FrameCost.scaled(12_900, rateHz: rateHz) }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        let frameMs = UInt64(input.sampleCount * 1000 / input.format.sampleRateHz)
        defer { mediaMs += frameMs }
        let (digit, level) = detect(input.pcm16)
        guard digit >= 0 else {
            candidate = -1
            posted = false
            return
        }
        if digit != candidate {
            candidate = digit
            candidateSinceMs = mediaMs
            candidateLevel = level
            posted = false
        } else if !posted {
            posted = true
            events?.post(.node(NodeEvent("dtmf", detail: Self.key(digit), value: (candidateLevel + level) / 2, mediaMs: candidateSinceMs)))
        }
    }

    public func reset() {
        candidate = -1
        posted = false
    }

    /// The key pad index (row × 4 + column) the frame holds, or -1; and its level in dBFS.
    ///
    /// - Realtime: safe.
    private func detect(_ samples: UnsafeMutableBufferPointer<Int16>) -> (Int, Double) {
        var energy = 0.0
        for s in samples { energy += Double(s) * Double(s) }
        guard energy > floorEnergy else { return (-1, 0) }
        // Power at each frequency, as a share of the frame's energy (a pure tone at one of them: ≈ 1).
        var share = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &share) { raw in
            let shares = raw.bindMemory(to: Double.self)
            coefficients.withUnsafeBufferPointer { coefficients in
                for k in 0..<8 {
                    var s1 = 0.0, s2 = 0.0
                    let c = coefficients[k]
                    for sample in samples {
                        let s0 = Double(sample) + c * s1 - s2
                        s2 = s1
                        s1 = s0
                    }
                    let power = s1 * s1 + s2 * s2 - c * s1 * s2
                    shares[k] = 2 * power / (Double(samples.count) * energy)
                }
            }
        }
        return withUnsafeBytes(of: share) { raw in
            let shares = raw.bindMemory(to: Double.self)
            let (row, rowShare, rowNext) = Self.strongest(shares, from: 0)
            let (column, columnShare, columnNext) = Self.strongest(shares, from: 4)
            // Both tones carry the frame; each stands ≥ 8 dB over its group's next; twist ≤ 8 dB.
            guard rowShare + columnShare >= minimumToneShare,
                  rowNext * 6.3 < rowShare, columnNext * 6.3 < columnShare,
                  rowShare < columnShare * 6.3, columnShare < rowShare * 6.3 else { return (-1, 0) }
            let level = 10 * log10(energy / Double(samples.count) / (32767.0 * 32767.0))
            return (row * 4 + column, level)
        }
    }

    /// The strongest of the four shares from `start`: its index in the group, its share and the
    /// runner-up's share.
    private static func strongest(_ shares: UnsafeBufferPointer<Double>, from start: Int) -> (Int, Double, Double) {
        var best = 0, top = -1.0, next = -1.0
        for i in 0..<4 {
            let value = shares[start + i]
            if value > top {
                next = top
                top = value
                best = i
            } else if value > next {
                next = value
            }
        }
        return (best, top, next)
    }

    /// The key at pad index `index` (row-major: 1 2 3 A / 4 5 6 B / 7 8 9 C / * 0 # D).
    private static func key(_ index: Int) -> StaticString {
        switch index {
        case 0: "1"
        case 1: "2"
        case 2: "3"
        case 3: "A"
        case 4: "4"
        case 5: "5"
        case 6: "6"
        case 7: "B"
        case 8: "7"
        case 9: "8"
        case 10: "9"
        case 11: "C"
        case 12: "*"
        case 13: "0"
        case 14: "#"
        default: "D"
        }
    }
}
