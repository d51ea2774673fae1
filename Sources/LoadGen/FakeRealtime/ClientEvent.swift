import Foundation

/// One client event as ``FakeRealtimeServer`` received it: which connection, its `type`, the raw
/// JSON text and when it arrived.
///
/// - Threading: a value; any thread.
/// - Ownership: a value (the text is a copy of the frame).
/// - Realtime: unsafe (``field(_:)`` parses); test and load-generator code only.
public struct ClientEvent: Sendable {
    /// The connection it came on: 1 for the first accepted upgrade, then 2, 3, …
    public let connection: Int
    /// Its `type`; empty when the text was not a JSON object with a string `type`.
    public let type: String
    /// The frame's text, as sent.
    public let text: String
    /// When the server read it, in ns of `CLOCK_MONOTONIC` (the clock voiced's `MediaClock` reads).
    public let arrivalNanos: UInt64

    public init(connection: Int, type: String, text: String, arrivalNanos: UInt64) {
        self.connection = connection
        self.type = type
        self.text = text
        self.arrivalNanos = arrivalNanos
    }

    /// The value at `path` in the event, parsed with `JSONSerialization`: strings pick object
    /// members, decimal strings also index arrays (`field("session", "audio", "input", "format", "type")`).
    /// Nil when the text is not JSON or the path does not exist. JSON null is `NSNull`.
    public func field(_ path: String...) -> Any? {
        guard var value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return nil }
        for key in path {
            if let object = value as? [String: Any], let next = object[key] {
                value = next
            } else if let array = value as? [Any], let index = Int(key), array.indices.contains(index) {
                value = array[index]
            } else {
                return nil
            }
        }
        return value
    }

    /// `CLOCK_MONOTONIC` now, in ns.
    static func monotonicNanos() -> UInt64 { MonotonicClock.nanos() }
}
