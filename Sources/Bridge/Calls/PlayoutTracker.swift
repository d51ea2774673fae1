import MediaGraph

/// How much of each agent utterance (item) was sent to the provider and how much has played, from
/// the provider's returned marks (shared/protocols.md §5.3, the exact variant): every `media`
/// message is followed by a mark named `item:sentMs:sequence`; when it comes back, that item has
/// played `sentMs`. Marks the provider returns because of a `clear` are ignored, so flushed audio
/// never counts as heard.
///
/// Frames go out in the order they were written (agent-in → downlink → provider-out are FIFO, and a
/// flush empties all of them), so the tracker attributes outgoing frames to items from a queue of
/// written segments.
///
/// - Threading: one per call, on the call's event loop.
/// - Realtime: not a media-thread type; a mark name is one small String per message.
struct PlayoutTracker {
    private struct Item {
        let id: String
        var sentMs = 0
        var playedMs = 0
    }

    /// Items with audio written, sent or playing, by sequence number.
    private var items: [Int: Item] = [:]
    /// Frames written but not yet sent, per item sequence, oldest first.
    private var queued: [(item: Int, frames: Int)] = []
    /// Marks sent and not yet returned, in send order.
    private var pending: [String] = []
    /// Marks that will come back because of a `clear`: not evidence of playback.
    private var ignored: Set<String> = []
    private var nextItem = 0
    private var nextMark = 0
    /// The item being written now (sequence and id).
    private var writing: (seq: Int, id: String)?

    /// How close a truncation may follow playback: marks lag what the caller heard by up to a frame
    /// or two, so up to this much beyond the last played mark counts as heard.
    static let heardSlackMs = 50
    /// Marks awaited at most: a provider that never returns them cannot grow the list without bound
    /// (at the 100 ms lead a few are pending; 1,000 is 20 s of unreturned playback). The oldest go first.
    static let maxPending = 1000

    /// `frames` 20 ms frames of utterance `id` were written to the call's agent queue.
    mutating func wrote(frames: Int, item id: String) {
        guard frames > 0 else { return }
        if writing?.id != id {
            writing = (nextItem, id)
            items[nextItem] = Item(id: id)
            nextItem += 1
        }
        let seq = writing!.seq
        if let last = queued.last, last.item == seq {
            queued[queued.count - 1].frames += frames
        } else {
            queued.append((seq, frames))
        }
    }

    /// Whether written frames wait to be sent (frames written untracked — the apology tone after a
    /// failure — go without marks).
    var hasQueuedFrames: Bool { !queued.isEmpty }

    /// The oldest `frames` queued frames went out in one message (it may end one item and begin the
    /// next); returns the mark to send after it, named for the last item it carried.
    mutating func sent(frames: Int) -> String {
        var seq = queued[0].item
        var left = frames
        while left > 0, !queued.isEmpty {
            seq = queued[0].item
            let taken = min(left, queued[0].frames)
            queued[0].frames -= taken
            items[seq]!.sentMs += taken * AudioFormat.frameDurationMs
            left -= taken
            if queued[0].frames <= 0 { queued.removeFirst() }
        }
        let name = "\(seq):\(items[seq]!.sentMs):\(nextMark)"
        nextMark += 1
        if pending.count == Self.maxPending { pending.removeFirst() }
        pending.append(name)
        return name
    }

    /// What a returned mark meant.
    enum MarkResult: Equatable {
        /// Utterance `item` has played up to `ms`.
        case played(item: String, ms: Int)
        /// A mark returned because of a `clear`: nothing played.
        case ignored
        /// Not a mark this call sent (or sent twice): logged and ignored.
        case unknown
    }

    /// A mark came back from the provider.
    mutating func markReturned(_ name: String) -> MarkResult {
        if ignored.remove(name) != nil { return .ignored }
        guard let index = pending.firstIndex(of: name) else { return .unknown }
        // Marks return in send order; any sent before this one have played too.
        pending.removeFirst(index + 1)
        let parts = name.split(separator: ":")
        guard parts.count == 3, let seq = Int(parts[0]), let ms = Int(parts[1]), items[seq] != nil else { return .unknown }
        items[seq]!.playedMs = max(items[seq]!.playedMs, ms)
        // Older items have played in full and will not be truncated any more.
        for old in items.keys where old < seq { items[old] = nil }
        return .played(item: items[seq]!.id, ms: items[seq]!.playedMs)
    }

    /// Whether agent audio is queued or playing at the provider (a barge-in has something to stop).
    var isAgentAudible: Bool { !pending.isEmpty || !queued.isEmpty }

    /// The caller interrupted: returns the utterance being heard and how much of it was heard
    /// (`min(sent, played + heardSlackMs)`, never past what was sent), moves pending marks to the
    /// ignore set (the provider's `clear` returns them) and forgets queued audio (the pipeline
    /// flushes it). Nil when nothing was audible.
    mutating func interrupt() -> (item: String, heardMs: Int)? {
        defer {
            ignored.formUnion(pending)
            pending.removeAll()
            queued.removeAll()
            items.removeAll()
            writing = nil
        }
        // The playing item is the one of the oldest pending mark; else the first queued one.
        let playing = pending.first.flatMap { Int($0.split(separator: ":")[0]) } ?? queued.first?.item
        guard let seq = playing, let item = items[seq] else { return nil }
        return (item.id, min(item.sentMs, item.playedMs + Self.heardSlackMs))
    }
}
