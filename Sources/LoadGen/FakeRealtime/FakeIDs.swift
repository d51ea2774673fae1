/// Realtime-shaped ids: a prefix (`event_`, `resp_`, `item_`, `sess_`, `conv_`) and 21 base-62
/// characters, as the real servers issue them.
///
/// The 21 characters come from two 64-bit draws of the system generator (ten digits of each, and
/// one more from what is left), not one draw per character: a load run makes an id per server event.
///
/// - Threading: stateless; any thread.
/// - Ownership: returns a fresh string.
/// - Realtime: unsafe (allocates); test and load-generator code only.
enum FakeIDs {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var draws = (generator.next() as UInt64, generator.next() as UInt64)
        var suffix = [UInt8](repeating: 0, count: 21)
        for i in 0..<21 {
            if i < 10 {
                suffix[i] = alphabet[Int(draws.0 % 62)]
                draws.0 /= 62
            } else {
                suffix[i] = alphabet[Int(draws.1 % 62)]
                draws.1 /= 62
            }
        }
        return prefix + String(decoding: suffix, as: UTF8.self)
    }
}
