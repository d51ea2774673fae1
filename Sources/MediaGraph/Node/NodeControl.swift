/// What a call tells its nodes between frames, on the media thread (``MediaNode/control(_:)``).
///
/// - Threading: made on the call's I/O thread, carried by its control lane, delivered on its media
///   thread before the next frame.
public enum NodeControl: Sendable, Equatable {
    /// Downlink nodes: the agent's queued speech was dropped (a barge-in, or the agent cleared it);
    /// forget it, so nothing of it bleeds into the next utterance. Default: ``MediaNode/reset()``.
    case flush
    /// Uplink nodes: the caller interrupted the agent (the agent's speech was just flushed for a
    /// barge-in). A turn detector might start a new turn here. Default: nothing.
    case bargeIn
    /// A setting changed while the call runs (``CallPipeline/setNodeSetting(_:)``): delivered to
    /// the nodes called ``NodeSetting/node``. Default: nothing (the node keeps its settings).
    case setting(NodeSetting)
}

/// A new value for one setting of the nodes of a given name, sent while a call runs, e.g.
/// `NodeSetting(node: "normalize", key: "target-dbfs", value: -18)`.
///
/// - Threading: a value of fixed size (texts up to ``ShortText/capacity`` bytes, inline): safe to
///   copy through a ring and to compare on the media thread.
public struct NodeSetting: Sendable, Equatable {
    /// The node's name as specs write it.
    public let node: ShortText
    /// The setting's name, as the node's spec reads it.
    public let key: ShortText
    public let value: Double

    /// Nil when `node` or `key` is longer than ``ShortText/capacity`` bytes.
    public init?(node: String, key: String, value: Double) {
        guard let node = ShortText(node), let key = ShortText(key) else { return nil }
        self.node = node
        self.key = key
        self.value = value
    }

}

/// Up to 31 bytes of UTF-8 held inline (no heap storage): names that cross a ring to the media
/// thread and are compared there without allocating.
///
/// - Threading: a value; safe anywhere. - Realtime: comparing and reading are safe.
public struct ShortText: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    public static let capacity = 31
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var count: UInt8 = 0

    /// Nil when `text` is longer than ``capacity`` bytes.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count <= Self.capacity else { return nil }
        count = UInt8(utf8.count)
        withUnsafeMutableBytes(of: &bytes) { $0.copyBytes(from: utf8) }
    }

    /// A literal (one character too: `withUTF8Buffer` reads either form of `StaticString`); one
    /// longer than ``capacity`` bytes stops the program.
    public init(stringLiteral text: StaticString) {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let count = text.withUTF8Buffer { utf8 in
            precondition(utf8.count <= Self.capacity, "\(text): at most \(Self.capacity) bytes")
            withUnsafeMutableBytes(of: &bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(utf8)) }
            return utf8.count
        }
        self.bytes = bytes
        self.count = UInt8(count)
    }

    /// Whether `text` holds the same bytes. - Realtime: safe (no allocation for a stored `String`).
    public func equals(_ text: String) -> Bool {
        withUnsafeBytes(of: bytes) { mine in text.utf8.elementsEqual(mine.prefix(Int(count))) }
    }

    public static func == (a: ShortText, b: ShortText) -> Bool {
        a.count == b.count && a.bytes == b.bytes
    }

    public var description: String {
        withUnsafeBytes(of: bytes) { String(decoding: $0.prefix(Int(count)), as: UTF8.self) }
    }
}
