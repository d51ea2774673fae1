import Foundation
import NIOCore
import NIOConcurrencyHelpers
import Synchronization

/// What every connection of one ``FakeRealtimeServer`` shares: the client events received, the
/// tasks waiting for them, the open connections, the upgrade counts, the load traces and the
/// response audio already encoded.
///
/// Stored events are capped at ``maxEvents``; past that the oldest tenth is dropped (and counted in
/// `eventsDropped`), so a long load run stays bounded.
///
/// - Threading: every member may be called from any thread; one lock guards the state, and
///   continuations are resumed after it is released.
/// - Ownership: owned by the server; connections hold it strongly until they close.
/// - Realtime: unsafe (locks, allocates); test and load-generator code only.
final class FakeRealtimeHub: Sendable {
    static let maxEvents = 100_000

    struct Waiter {
        let id: Int
        let type: String
        let count: Int
        let continuation: CheckedContinuation<[ClientEvent], Error>
    }

    struct State {
        var events: [ClientEvent] = []
        var eventsDropped = 0
        /// Stored events per type.
        var typeCounts: [String: Int] = [:]
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var connectionCount = 0
        /// Open connections by number, each usable only on its own event loop.
        var open: [Int: NIOLoopBound<FakeRealtimeConnection>] = [:]
        var rejectedStatuses: [Int] = []
        var stopped = false
        /// Load traces by connection number (``FakeRealtimeServer/Behaviour/tracing``), kept after close.
        var traces: [Int: NIOLoopBound<ConnectionTrace>] = [:]
        /// Response audio as base64 deltas, by format and length (see ``responseDeltas(format:chunkMs:totalMs:)``).
        var deltaCache: [DeltaKey: [String]] = [:]
    }

    /// What a cached response's audio depends on.
    struct DeltaKey: Hashable {
        var encoding: FakeAudioFormat.Encoding
        var sampleRateHz: Int
        var chunkMs: Int
        var totalMs: Int
    }

    /// Distinct response shapes whose audio is cached; past this the cache starts again.
    static let maxCachedResponses = 32

    let state = NIOLockedValueBox(State())
    /// `input_audio_buffer.append` events received, on every connection.
    let appendsReceived = Atomic<Int>(0)

    /// Stores `event` and wakes the waiters it satisfies.
    func record(_ event: ClientEvent) {
        if event.type == "input_audio_buffer.append" { countAppend() }
        let ready: [(Waiter, [ClientEvent])] = state.withLockedValue { s in
            s.events.append(event)
            s.typeCounts[event.type, default: 0] += 1
            if s.events.count > Self.maxEvents {
                let n = Self.maxEvents / 10
                for old in s.events[0..<n] { s.typeCounts[old.type, default: 1] -= 1 }
                s.events.removeFirst(n)
                s.eventsDropped += n
            }
            guard !s.waiters.isEmpty else { return [] }
            var ready: [(Waiter, [ClientEvent])] = []
            s.waiters.removeAll { w in
                guard w.type == event.type, s.typeCounts[w.type, default: 0] >= w.count else { return false }
                ready.append((w, s.events.filter { $0.type == w.type }))
                return true
            }
            return ready
        }
        for (waiter, events) in ready { waiter.continuation.resume(returning: events) }
    }

    /// Counts an append that is not stored (``FakeRealtimeServer/Behaviour/storesAppends`` false).
    func countAppend() {
        appendsReceived.wrappingAdd(1, ordering: .relaxed)
    }

    /// Every stored event, oldest first.
    var events: [ClientEvent] { state.withLockedValue { $0.events } }

    /// "3 × response.cancel, 120 × input_audio_buffer.append" (most frequent first).
    var summary: String {
        let counts = state.withLockedValue { $0.typeCounts }
        let shown = counts.filter { $0.value > 0 }.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        return shown.isEmpty ? "nothing" : shown.map { "\($0.value) × \($0.key.isEmpty ? "<no type>" : $0.key)" }.joined(separator: ", ")
    }

    /// Registers a waiter for `count` events of `type`. Returns the events at once (and registers
    /// nothing) when there already are enough.
    func addWaiter(type: String, count: Int, continuation: CheckedContinuation<[ClientEvent], Error>) -> (id: Int, ready: [ClientEvent]?) {
        state.withLockedValue { s in
            s.nextWaiterID += 1
            if s.typeCounts[type, default: 0] >= count { return (s.nextWaiterID, s.events.filter { $0.type == type }) }
            s.waiters.append(Waiter(id: s.nextWaiterID, type: type, count: count, continuation: continuation))
            return (s.nextWaiterID, nil)
        }
    }

    /// Removes the waiter `id`; nil when it was already woken.
    func removeWaiter(_ id: Int) -> Waiter? {
        state.withLockedValue { s in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i)
        }
    }

    /// Counts an accepted upgrade and returns its connection number (from 1).
    func acceptConnection() -> Int {
        state.withLockedValue { s in
            s.connectionCount += 1
            return s.connectionCount
        }
    }

    func register(_ number: Int, _ connection: NIOLoopBound<FakeRealtimeConnection>) {
        state.withLockedValue { $0.open[number] = connection }
    }

    func register(trace: NIOLoopBound<ConnectionTrace>, number: Int) {
        state.withLockedValue { $0.traces[number] = trace }
    }

    /// Every trace, by connection number.
    var traces: [NIOLoopBound<ConnectionTrace>] {
        state.withLockedValue { s in s.traces.sorted { $0.key < $1.key }.map(\.value) }
    }

    /// The audio deltas (base64) of a response of `totalMs` in `format`, `chunkMs` each (the last
    /// one shorter): the fake voice from its start, encoded once and shared by every response of
    /// that shape, since each response starts the voice afresh.
    func responseDeltas(format: FakeAudioFormat, chunkMs: Int, totalMs: Int) -> [String] {
        let key = DeltaKey(encoding: format.encoding, sampleRateHz: format.sampleRateHz, chunkMs: chunkMs, totalMs: totalMs)
        if let cached = state.withLockedValue({ $0.deltaCache[key] }) { return cached }
        var voice = FakeVoice(sampleRateHz: format.sampleRateHz)
        var deltas: [String] = []
        var sentMs = 0
        while sentMs < totalMs {
            let ms = min(chunkMs, totalMs - sentMs)
            deltas.append(Data(format.encode(voice.next(samples: format.samples(ms: ms)))).base64EncodedString())
            sentMs += ms
        }
        state.withLockedValue { s in
            if s.deltaCache.count >= Self.maxCachedResponses { s.deltaCache = [:] }
            s.deltaCache[key] = deltas
        }
        return deltas
    }

    func unregister(_ number: Int) {
        _ = state.withLockedValue { $0.open.removeValue(forKey: number) }
    }

    /// The open connection with the highest number.
    var newest: NIOLoopBound<FakeRealtimeConnection>? {
        state.withLockedValue { s in s.open.max { $0.key < $1.key }?.value }
    }

    var allOpen: [NIOLoopBound<FakeRealtimeConnection>] { state.withLockedValue { Array($0.open.values) } }

    func recordRejection(status: Int) {
        state.withLockedValue { $0.rejectedStatuses.append(status) }
    }

    /// Marks the server stopped and fails every waiter with `error`.
    func stop(failing error: Error) {
        let waiters = state.withLockedValue { s in
            s.stopped = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
    }
}
