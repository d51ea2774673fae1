/// Realtime-shaped ids: a prefix (`event_`, `resp_`, `item_`, `sess_`, `conv_`) and 21 base-62
/// characters, as the real servers issue them.
///
/// - Threading: stateless; any thread.
/// - Ownership: returns a fresh string.
/// - Realtime: unsafe (allocates); test and load-generator code only.
enum FakeIDs {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    static func make(_ prefix: String) -> String {
        var s = prefix
        for _ in 0..<21 { s.append(alphabet[Int.random(in: 0..<alphabet.count)]) }
        return s
    }
}
