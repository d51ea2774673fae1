/// Whole-decibel levels as linear factors, for settings such as `floor-dbfs=-40`: one step of
/// 10^(1/20) per dB, so a node needs no libm for it.
///
/// - Threading: pure functions; anywhere.
enum Decibels {
    /// 10^(`db`/20) for `db` ≤ 0 (1 for 0 dB, about 0.01 for −40 dB).
    static func factor(_ db: Int) -> Double {
        (0..<max(0, -db)).reduce(1.0) { level, _ in level / 1.1220184543019633 }
    }
}
