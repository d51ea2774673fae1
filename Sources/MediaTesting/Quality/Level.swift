import Foundation

/// Levels and mixing for measurements.
public enum Level {
    /// RMS in dBFS of `x` (−120 for silence).
    public static func dbfs<C: Collection>(_ x: C) -> Double where C.Element == Int16 {
        guard !x.isEmpty else { return -120 }
        return max(-120, 10 * log10(x.energy / Double(x.count) / (32768.0 * 32768.0) + 1e-12))
    }

    /// `noise` (repeated as needed) scaled so that `speech` over it has `snrDb` (whole-signal RMS).
    public static func noise(_ noise: [Int16], under speech: [Int16], snrDb: Double, count: Int) -> [Double] {
        let gain = pow(10, (dbfs(speech) - snrDb - dbfs(noise)) / 20)
        return (0..<count).map { Double(noise[$0 % noise.count]) * gain }
    }
}

/// Sums signals into 16-bit samples, clamping at full scale.
public func mix(_ signals: [Double]...) -> [Int16] {
    let count = signals.map(\.count).min() ?? 0
    return (0..<count).map { i in Int16(max(-32768, min(32767, signals.reduce(0) { $0 + $1[i] }.rounded()))) }
}

public extension Collection where Element == Int16 {
    /// Σ x².
    var energy: Double { reduce(0) { $0 + Double($1) * Double($1) } }
}

public extension Collection where Element == Double {
    /// Σ x².
    var energy: Double { reduce(0) { $0 + $1 * $1 } }
}
