/// The agent speech a connector read from its socket but the call had no room for yet, in order,
/// with the utterance ends between: while it is not empty the connector keeps its socket paused
/// (back-pressure), so it holds at most what one read delivered.
///
/// - Threading: one per connector, on the call's event loop.
struct AgentSpeechQueue {
    private enum Entry {
        case speech(item: String, bytes: ArraySlice<UInt8>)
        case finished(item: String)
    }

    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    /// Offers `bytes` of utterance `item` to `sink` (after anything already waiting). Returns true
    /// when some had to wait: pause the socket until ``resume(_:)`` drains the queue.
    mutating func speak(_ bytes: UnsafeRawBufferPointer, item: String, to sink: AgentSink) -> Bool {
        let taken = entries.isEmpty ? sink.agentSpeech(bytes, item: item) : 0
        guard taken < bytes.count else { return false }
        entries.append(.speech(item: item, bytes: ArraySlice(bytes[taken...])))
        return true
    }

    /// Utterance `item` is complete: the sink hears so now, or after what waits.
    mutating func finish(item: String, to sink: AgentSink) {
        if entries.isEmpty { sink.agentFinishedSpeaking(item: item) } else { entries.append(.finished(item: item)) }
    }

    /// Offers what waits, in order. Returns true when all of it was taken: resume the socket.
    mutating func resume(_ sink: AgentSink) -> Bool {
        while let next = entries.first {
            switch next {
            case let .speech(item, bytes):
                let taken = bytes.withUnsafeBytes { sink.agentSpeech($0, item: item) }
                guard taken == bytes.count else {
                    entries[0] = .speech(item: item, bytes: bytes.dropFirst(taken))
                    return false
                }
            case let .finished(item):
                sink.agentFinishedSpeaking(item: item)
            }
            entries.removeFirst()
        }
        return true
    }

    /// Forgets everything (the call flushed the agent's audio, or the connection was lost).
    mutating func removeAll() { entries = [] }
}
