/// The media threads of one daemon, started at boot; places each new call on the thread with the
/// most room left in its budget (``MediaThread/room``), or refuses it when none has room for it.
///
/// - Threading: all members may be called from any thread.
/// - Ownership: owns its threads; `stop()` (or deinit) stops and joins them.
/// - Realtime: unsafe; control and I/O threads only.
public final class MediaThreadPool: Sendable {
    public let threads: [MediaThread]

    /// Starts `count` threads, each with `configuration`.
    public init(count: Int, configuration: MediaThread.Configuration = .init()) throws(MediaThreadError) {
        var threads: [MediaThread] = []
        for i in 0..<max(1, count) { threads.append(try MediaThread(index: i, configuration: configuration)) }
        self.threads = threads
    }

    /// Attaches `call` to the thread with the most room and returns that thread. Throws the last
    /// thread's refusal (``MediaThreadError/overBudget(cost:mostRoom:)`` when no thread's budget has
    /// room for the call's graph, ``MediaThreadError/full(maxCalls:)``).
    public func attach(_ call: CallPipeline) throws(MediaThreadError) -> MediaThread {
        var lastError = MediaThreadError.stopped
        let byRoom = threads.map { ($0, $0.room) }.sorted { $0.1 > $1.1 }
        for (thread, _) in byRoom {
            do {
                try thread.attach(call)
                return thread
            } catch {
                lastError = error
            }
        }
        if case .overBudget = lastError { try checkRoom(for: call.instructionsPerFrame) }
        throw lastError
    }

    /// A whole thread's budget (``MediaThread/Configuration/instructionBudget``).
    public var budget: Int { threads.first?.configuration.instructionBudget ?? 0 }

    /// The most budget any thread has left (``MediaThread/room``): a call whose graph costs more is
    /// refused by ``attach(_:)``.
    public var mostRoom: Int { threads.map(\.room).max() ?? 0 }

    /// Throws what ``attach(_:)`` would for a graph costing `cost` when no thread has room for it
    /// now (``MediaThreadError/overBudget(cost:mostRoom:)``), without building or attaching anything:
    /// a call can be refused before its graph is built.
    public func checkRoom(for cost: Int) throws(MediaThreadError) {
        let room = mostRoom
        guard cost <= room else { throw .overBudget(cost: cost, mostRoom: room) }
    }

    /// Calls attached across every thread.
    public var attachedCalls: Int { threads.reduce(0) { $0 + $1.attachedCalls } }

    public func stop() { threads.forEach { $0.stop() } }
}
