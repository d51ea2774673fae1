import Dispatch
import NIOCore

/// Plays what a server sends on a Twilio stream the way Twilio does (shared/protocols.md §1.3):
/// `media` is queued and played at real time (μ-law, 8 bytes per ms); a `mark` comes back once
/// everything queued before it has played (at once when nothing is queued); `clear` drops every
/// queued byte and returns every pending mark at once.
///
/// - Threading: every method runs on `eventLoop` (the client connection's).
/// - Ownership: holds the queue; `send` delivers the returned marks.
public final class TwilioPlayback {
    private enum Entry {
        case audio(bytes: Int)
        case mark(String)
    }

    private let eventLoop: EventLoop
    private let send: (String) -> Void
    private let messages: TwilioMessages
    private var nextSequence: () -> Int
    private var queue: [Entry] = []
    private var head = 0
    private var lastTickNanos: UInt64 = 0
    private var ticking = false

    /// μ-law bytes played so far.
    public private(set) var playedBytes = 0
    /// μ-law bytes a `clear` dropped before they played.
    public private(set) var clearedBytes = 0
    /// Marks returned so far (played or cleared).
    public private(set) var marksReturned = 0

    public init(eventLoop: EventLoop, messages: TwilioMessages, nextSequence: @escaping () -> Int, send: @escaping (String) -> Void) {
        self.eventLoop = eventLoop
        self.messages = messages
        self.nextSequence = nextSequence
        self.send = send
    }

    /// `bytes` of μ-law arrived in a `media` message.
    public func media(bytes: Int) {
        queue.append(.audio(bytes: bytes))
        startTicking()
    }

    /// A `mark` arrived.
    public func mark(_ name: String) {
        queue.append(.mark(name))
        play(budget: 0)
    }

    /// A `clear` arrived: drop the audio, return the marks.
    public func clear() {
        for entry in queue[head...] {
            switch entry {
            case let .audio(bytes): clearedBytes += bytes
            case let .mark(name): returnMark(name)
            }
        }
        queue = []
        head = 0
    }

    private func startTicking() {
        guard !ticking else { return }
        ticking = true
        lastTickNanos = Self.now()
        eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in tick() }
    }

    private func tick() {
        let now = Self.now()
        let budget = Int((now - lastTickNanos) / 125_000) // 8 bytes per ms
        lastTickNanos = now
        play(budget: budget)
        if head < queue.count {
            eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in tick() }
        } else {
            ticking = false
            queue = []
            head = 0
        }
    }

    /// Plays up to `budget` bytes, returning each mark that reaches the head of the queue.
    private func play(budget: Int) {
        var budget = budget
        while head < queue.count {
            switch queue[head] {
            case let .mark(name):
                returnMark(name)
            case let .audio(bytes):
                guard budget > 0 else { return }
                let played = min(bytes, budget)
                budget -= played
                playedBytes += played
                guard played == bytes else {
                    queue[head] = .audio(bytes: bytes - played)
                    return
                }
            }
            head += 1
        }
    }

    private func returnMark(_ name: String) {
        marksReturned += 1
        send(messages.mark(sequence: nextSequence(), name: name))
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
