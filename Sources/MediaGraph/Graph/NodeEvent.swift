/// An event a node raises that is not one of voiced's own (speech started, stopped, barge-in): a
/// digit a DTMF detector heard, a turn a turn detector saw the end of. It travels the call's event
/// lane like the others — `post` on the media thread, read on the call's I/O thread — and reaches
/// the session, which counts it by name (`/stats` → `nodeEvents`, `voiced_node_events_total`),
/// logs it, and hands it to the agent connector; offline, `voiced process` writes it as a JSON line.
///
/// `name` and `detail` are static text (string literals in the node's code), so posting one copies
/// two pointers and allocates nothing.
///
/// - Threading: a value; safe anywhere.
public struct NodeEvent: Sendable, Equatable, CustomStringConvertible {
    /// What happened, e.g. `"dtmf"`: a name of the node's own, stable (counted and logged by it).
    public let name: StaticString
    /// A word about it, e.g. the digit `"5"`; empty when there is nothing to add.
    public let detail: StaticString
    /// A number about it (a level, a probability, a duration); 0 when there is none.
    public let value: Double
    /// The call's media time the event refers to, in ms (see ``MediaEvent``).
    public let mediaMs: UInt64

    public init(_ name: StaticString, detail: StaticString = "", value: Double = 0, mediaMs: UInt64) {
        self.name = name
        self.detail = detail
        self.value = value
        self.mediaMs = mediaMs
    }

    public static func == (a: NodeEvent, b: NodeEvent) -> Bool {
        a.name.description == b.name.description && a.detail.description == b.detail.description
            && a.value == b.value && a.mediaMs == b.mediaMs
    }

    public var description: String {
        "\(name)(\(detail.description.isEmpty ? "" : "\(detail), ")value: \(value), mediaMs: \(mediaMs))"
    }
}
