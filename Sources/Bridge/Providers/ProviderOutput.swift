import NIOCore

/// The provider's socket as a call sees it: where the call's `media`, `mark` and `clear` go, built
/// by the socket's ``ProviderDialect``.
///
/// - Threading: the call's event loop only.
protocol ProviderOutput: AnyObject {
    /// Writes the message `build` makes, if it makes one (not flushed: call ``flush()`` after a batch).
    func send(_ build: (ProviderDialect, ByteBufferAllocator) -> WebSocketMessage?)
    /// How the provider wants our audio cut into messages.
    var framing: OutboundFraming { get }
    /// Flushes what `send` wrote.
    func flush()
    /// False while the socket's send buffer is full: the call leaves audio in its rings.
    var isWritable: Bool { get }
}
