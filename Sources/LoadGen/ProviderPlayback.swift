import NIOCore

/// Plays what a server sends on a provider stream the way the provider does (shared/protocols.md
/// §1.3, §7): `media` is queued and played at real time (``bytesPerMs``: 8 for μ-law 8 kHz); a
/// `mark` comes back once everything queued before it has played (at once when nothing is queued);
/// `clear` drops every queued byte and returns every pending mark at once.
///
/// Two ways to run the clock:
/// - ``init(eventLoop:bytesPerMs:returnMark:)`` schedules its own 10 ms ticks on `eventLoop` while
///   audio is queued, and hands each returned mark to `returnMark` (tests);
///   ``init(eventLoop:messages:nextSequence:send:)`` sends each as a whole Twilio `mark` message.
/// - ``init(externallyTickedOn:bytesPerMs:returnMark:)`` never schedules anything: the owner calls
///   ``advance(nowNanos:)`` (the load generator does, from one ticker for all its calls), and gets
///   each returned mark's name to write back itself.
///
/// - Threading: every method runs on `eventLoop` (the client connection's).
/// - Ownership: holds the queue (its storage is kept and reused once it has grown); the callback
///   delivers the returned marks.
/// - Realtime: not for media threads. Per message: no allocation once the queue has grown, except
///   what the mark callback does.
public final class ProviderPlayback {
    private enum Entry {
        case audio(bytes: Int)
        case mark(String)
    }

    private let eventLoop: EventLoop
    private let selfTicking: Bool
    private let returnMark: (String) -> Void
    /// Bytes of the provider's audio per millisecond.
    private let bytesPerMs: Int
    private var queue: [Entry] = []
    private var head = 0
    private var lastTickNanos: UInt64 = 0
    /// Audio is queued and the clock runs (a tick is scheduled, or the owner advances it).
    private var playing = false

    /// Audio bytes played so far.
    public private(set) var playedBytes = 0
    /// Audio bytes a `clear` dropped before they played.
    public private(set) var clearedBytes = 0
    /// Marks returned so far (played or cleared).
    public private(set) var marksReturned = 0
    /// Audio bytes received and not yet played: > 0 while the caller hears the server.
    public private(set) var queuedBytes = 0

    /// A playback that ticks itself every 10 ms and sends each returned mark as a Twilio `mark`
    /// message (`messages.mark`, numbered by `nextSequence`) through `send`.
    public convenience init(eventLoop: EventLoop, messages: TwilioMessages, nextSequence: @escaping () -> Int, send: @escaping (String) -> Void) {
        self.init(eventLoop: eventLoop, bytesPerMs: 8) { name in send(messages.mark(sequence: nextSequence(), name: name)) }
    }

    /// A playback that ticks itself every 10 ms and hands each returned mark's name to `returnMark`.
    public init(eventLoop: EventLoop, bytesPerMs: Int, returnMark: @escaping (String) -> Void) {
        self.eventLoop = eventLoop
        self.bytesPerMs = bytesPerMs
        selfTicking = true
        self.returnMark = returnMark
    }

    /// A playback whose clock the owner runs with ``advance(nowNanos:)``; `returnMark` gets the name
    /// of each mark that comes back (in order), for the owner to answer.
    public init(externallyTickedOn eventLoop: EventLoop, bytesPerMs: Int = 8, returnMark: @escaping (String) -> Void) {
        self.eventLoop = eventLoop
        self.bytesPerMs = bytesPerMs
        selfTicking = false
        self.returnMark = returnMark
    }

    /// `bytes` of audio arrived in a `media` message.
    public func media(bytes: Int) {
        queue.append(.audio(bytes: bytes))
        queuedBytes += bytes
        startPlaying()
    }

    /// A `mark` arrived.
    public func mark(_ name: String) {
        queue.append(.mark(name))
        play(budget: 0)
        if !playing { resetQueue() }
    }

    /// A `clear` arrived: drop the audio, return the marks.
    public func clear() {
        for entry in queue[head...] {
            switch entry {
            case let .audio(bytes): clearedBytes += bytes
            case let .mark(name): send(mark: name)
            }
        }
        queuedBytes = 0
        queue.removeAll(keepingCapacity: true)
        head = 0
        // A self-scheduled tick is still pending and stops the clock itself (a new one now would
        // run a second chain of ticks); an external clock stops here, so the next audio starts it afresh.
        if !selfTicking { playing = false }
    }

    /// Plays what real time allows since the last call (external clock only; ignored otherwise).
    /// `nowNanos` is ``MonotonicClock/nanos()``; call it every few ms while calls run.
    public func advance(nowNanos: UInt64) {
        guard !selfTicking, playing else { return }
        playElapsed(until: nowNanos)
    }

    private func startPlaying() {
        guard !playing else { return }
        playing = true
        lastTickNanos = MonotonicClock.nanos()
        if selfTicking { eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in tick() } }
    }

    private func tick() {
        playElapsed(until: MonotonicClock.nanos())
        if playing { eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in tick() } }
    }

    /// Plays the bytes due between the last tick and `now` (``bytesPerMs`` per ms); stops the clock
    /// once the queue is empty.
    private func playElapsed(until now: UInt64) {
        guard now > lastTickNanos else { return }
        let budget = Int((now - lastTickNanos) * UInt64(bytesPerMs) / 1_000_000)
        // Keep the remainder: ticks a fraction of a byte's time apart still add up to real time.
        lastTickNanos += UInt64(budget) * 1_000_000 / UInt64(bytesPerMs)
        play(budget: budget)
        if head >= queue.count {
            playing = false
            resetQueue()
        }
    }

    /// Plays up to `budget` bytes, returning each mark that reaches the head of the queue.
    private func play(budget: Int) {
        var budget = budget
        while head < queue.count {
            switch queue[head] {
            case let .mark(name):
                send(mark: name)
            case let .audio(bytes) where bytes > 0:
                guard budget > 0 else { return }
                let played = min(bytes, budget)
                budget -= played
                playedBytes += played
                queuedBytes -= played
                guard played == bytes else {
                    queue[head] = .audio(bytes: bytes - played)
                    return
                }
            case .audio:
                break
            }
            head += 1
        }
    }

    /// Empties the queue's storage (keeping its capacity) once everything in it was played.
    private func resetQueue() {
        guard head >= queue.count else { return }
        queue.removeAll(keepingCapacity: true)
        head = 0
    }

    private func send(mark name: String) {
        marksReturned += 1
        returnMark(name)
    }
}
