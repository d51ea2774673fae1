import Atomics
import CAudio

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated OS thread that runs the graphs of a fixed set of calls.
///
/// It sleeps in `poll` on an eventfd (woken, coalesced, when any of its calls has input or a command
/// arrives) and a timerfd (the media clock tick: it paces every call's downlink, and resumes calls
/// that were waiting for ring room). With few calls every uplink frame wakes the thread at once, for the lowest
/// latency; with more than ``Configuration/immediateWakeMaxCalls`` the I/O side stops waking it and
/// the tick shortens to ``Configuration/batchInterval``, so one wake-up serves the frames of many
/// calls (interrupt moderation, as network cards do): at most one `batchInterval` of added latency
/// for far fewer context switches. A frame that arrives during a switch between the two modes waits
/// at most one tick. Each wake-up it applies pending attach/detach commands, then drains every
/// call (batching: one wake serves every ready frame of every call), posts each call that produced
/// audio on its event loop's ``Doorbell``, and rings every doorbell it posted on once. The time it
/// spends on each call is charged to the call's ``FrameBudgetWatchdog``: a call whose graph is too
/// heavy stops being run, so it cannot starve the others.
///
/// - Threading: `attach`, `detach`, `requestWake` and `stop` may be called from any thread (commands
///   cross through an SPSC ring whose producer side is serialised by `commandLock`, which is never
///   taken on the media thread). Everything else runs on the thread itself.
/// - Ownership: the thread holds attached calls unretained; their owners keep them alive until
///   `CallPipeline.isRetired`. The thread allocates its call table at init and never grows it.
/// - Realtime: the loop is allocation-free, lock-free and log-free; its only syscalls are
///   poll/read/write on its eventfd and timerfd and the doorbells' eventfds.
public final class MediaThread: @unchecked Sendable {
    // @unchecked Sendable: cross-thread members are atomics, the command ring (producers serialised
    // by commandLock) and immutable descriptors; the rest is touched only by the thread itself.

    /// Settings fixed when the thread starts.
    public struct Configuration: Sendable {
        /// Most calls the thread accepts: default 2048.
        public var maxCalls: Int
        /// Up to this many calls, each uplink frame wakes the thread at once: default 16.
        public var immediateWakeMaxCalls: Int
        /// Tick period with more calls than that: default 2 ms. (With fewer, the tick is 20 ms.)
        public var batchInterval: Duration
        /// What the graphs of the thread's calls may cost together, in ``FrameCost`` units per
        /// 20 ms: default 100 M — about 200 `standard` calls (at the 3.6 CPU-ms per call-second a
        /// `standard` call costs a media thread at density, 72 % of a core) or 17 `wideband` ones.
        public var instructionBudget: Int

        public init(maxCalls: Int = 2048, immediateWakeMaxCalls: Int = 16, batchInterval: Duration = .milliseconds(2),
                    instructionBudget: Int = 100_000_000) {
            self.maxCalls = maxCalls
            self.immediateWakeMaxCalls = immediateWakeMaxCalls
            self.batchInterval = batchInterval
            self.instructionBudget = instructionBudget
        }
    }

    public let index: Int
    public let configuration: Configuration
    /// Most calls this thread accepts.
    public var maxCalls: Int { configuration.maxCalls }
    private let wakeDescriptor: Int32
    private let timerDescriptor: Int32
    private let commands: FrameRing<Command>
    private let commandLock = ProducerLock()
    private let wakeRequested = ManagedAtomic<Bool>(false)
    private let reserved = ManagedAtomic<Int>(0)
    /// Cost of the calls attached or about to be (``FrameCost`` units).
    private let committed = ManagedAtomic<Int>(0)
    private let attachedCounter = ManagedAtomic<Int>(0)
    private let wakeupCounter = ManagedAtomic<UInt64>(0)
    private let busyCounter = ManagedAtomic<UInt64>(0)
    /// True while the thread runs on batch ticks and wants no per-frame wake-ups.
    private let batching = ManagedAtomic<Bool>(false)
    private var thread: pthread_t?

    // Media-thread state.
    private let calls: UnsafeMutableBufferPointer<Unmanaged<CallPipeline>>
    private var callCount = 0
    /// Doorbells posted on during this wake-up, to ring once each at its end.
    private let touched: UnsafeMutableBufferPointer<Unmanaged<Doorbell>>
    private var touchedCount = 0
    private static let maxTouched = 64

    /// Creates the descriptors and starts the thread.
    public init(index: Int, configuration: Configuration = .init()) throws(MediaThreadError) {
        self.index = index
        self.configuration = configuration
        // Each call has at most one attach and one detach in flight, plus one stop.
        var slots = 2
        while slots < 2 * configuration.maxCalls + 1 { slots <<= 1 }
        commands = try FrameRing(slots: slots, slotBytes: 0)
        let wake = vd_eventfd_create()
        let timer = vd_timerfd_create(Self.frameTickNanos)
        guard wake >= 0, timer >= 0 else {
            vd_fd_close(wake)
            vd_fd_close(timer)
            throw .system("eventfd/timerfd")
        }
        wakeDescriptor = wake
        timerDescriptor = timer
        calls = .allocate(capacity: configuration.maxCalls)
        touched = .allocate(capacity: Self.maxTouched)
        try start()
    }

    deinit {
        stop()
        calls.deallocate()
        touched.deallocate()
        vd_fd_close(wakeDescriptor)
        vd_fd_close(timerDescriptor)
    }

    /// Calls attached now, as last published by the thread.
    public var attachedCalls: Int { attachedCounter.load(ordering: .relaxed) }
    /// What is left of ``Configuration/instructionBudget`` after the calls attached or about to be
    /// (what placement decisions use).
    public var room: Int { configuration.instructionBudget - committed.load(ordering: .relaxed) }
    /// Wake-ups so far (event or tick), for batching statistics.
    public var wakeups: UInt64 { wakeupCounter.load(ordering: .relaxed) }
    /// Nanoseconds the thread spent serving calls (from each wake-up to its wait), ever: its busy
    /// fraction is how fast this grows against the clock.
    public var busyNanos: UInt64 { busyCounter.load(ordering: .relaxed) }

    /// Hands `call` to this thread. Throws ``MediaThreadError/full(maxCalls:)`` when it holds
    /// `maxCalls`, ``MediaThreadError/overBudget(cost:mostRoom:)`` when its graph's cost does not fit
    /// what is left of the budget. Keep `call` alive until it is detached and `isRetired`.
    ///
    /// - Realtime: unsafe (takes a lock); never call it on a media thread.
    public func attach(_ call: CallPipeline) throws(MediaThreadError) {
        let cost = call.instructionsPerFrame
        // Compare-and-exchange, so two calls that would each fit are never both refused for a
        // moment's overshoot.
        var current = committed.load(ordering: .relaxed)
        while true {
            guard current + cost <= configuration.instructionBudget else {
                throw .overBudget(cost: cost, mostRoom: configuration.instructionBudget - current)
            }
            let (exchanged, original) = committed.compareExchange(expected: current, desired: current + cost, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        guard reserved.wrappingIncrementThenLoad(ordering: .relaxed) <= maxCalls else {
            reserved.wrappingDecrement(ordering: .relaxed)
            committed.wrappingDecrement(by: cost, ordering: .relaxed)
            throw .full(maxCalls: maxCalls)
        }
        send(.attach, Unmanaged.passUnretained(call))
    }

    /// Asks the thread to drop `call`; it sets `call.isRetired` and posts `.retired` on the call's doorbell.
    /// Call it exactly once per attached call. Its cost leaves the budget at once.
    ///
    /// - Realtime: unsafe (takes a lock); never call it on a media thread.
    public func detach(_ call: CallPipeline) {
        committed.wrappingDecrement(by: call.instructionsPerFrame, ordering: .relaxed)
        send(.detach, Unmanaged.passUnretained(call))
    }

    /// Wakes the thread for new uplink audio, unless a wake-up is already pending (coalesced) or the
    /// thread is batching on its tick.
    ///
    /// - Realtime: safe (at most one eventfd write).
    @inline(__always)
    public func requestWake() {
        if batching.load(ordering: .relaxed) { return }
        // acq_rel pairs with the thread's exchange in `run`: data pushed before this call is seen by
        // the next drain.
        if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
            _ = vd_eventfd_signal(wakeDescriptor)
        }
    }

    /// Stops the thread (retiring every call still attached) and waits for it. Idempotent.
    public func stop() {
        guard let thread else { return }
        send(.stop, nil)
        pthread_join(thread, nil)
        self.thread = nil
    }

    /// What the command ring carries.
    enum Command: UInt32, RingTag {
        /// `value` is an unretained ``CallPipeline`` to serve from now on.
        case attach = 1
        /// `value` is an unretained ``CallPipeline`` to retire.
        case detach = 2
        /// Retire every call and end the thread.
        case stop = 3
    }

    private func send(_ kind: Command, _ call: Unmanaged<CallPipeline>?) {
        let value = call.map { UInt64(UInt(bitPattern: $0.toOpaque())) } ?? 0
        let pushed = commandLock.withLock { commands.push(kind, value: value) }
        // The ring holds 2 × maxCalls + 1 commands and each call sends at most two.
        precondition(pushed, "media thread command ring overflow")
        if !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
            _ = vd_eventfd_signal(wakeDescriptor)
        }
    }

    private func start() throws(MediaThreadError) {
        do {
            thread = try startThread { self.run() }
        } catch {
            throw .system("pthread_create: \(error.code)")
        }
    }

    /// The thread's loop. Holds `self` strongly (through `startThread`'s body) until it returns.
    ///
    /// - Realtime: media-thread only.
    private func run() {
        vd_thread_set_name("voiced-media-\(index)")
        while true {
            let mask = vd_wait(wakeDescriptor, timerDescriptor, -1)
            if mask & Int32(VD_WAIT_EVENT) != 0 { _ = vd_eventfd_drain(wakeDescriptor) }
            if mask & Int32(VD_WAIT_TIMER) != 0 { _ = vd_timerfd_drain(timerDescriptor) }
            wakeupCounter.wrappingIncrement(ordering: .relaxed)
            _ = wakeRequested.exchange(false, ordering: .acquiringAndReleasing)
            if !applyCommands() { break }
            let now = MediaClock.nanos()
            // Each call that ran is charged the time since the previous one that ran (one clock read
            // per busy call; idle calls' few nanoseconds go to the next).
            var mark = now
            var backlog = false
            for i in 0..<callCount {
                calls[i]._withUnsafeGuaranteedRef { call in
                    guard call.service(nowNanos: now) else { return }
                    let end = MediaClock.nanos()
                    // Safe: the monotonic clock never goes backwards. A call that trips its watchdog
                    // is announced even when a `.ready` is pending, so the I/O side sees it.
                    let tripped = call.charge(nanos: end &- mark)
                    mark = end
                    if call.claimAnnouncement() || tripped { announce(.ready, call) }
                    backlog = backlog || call.hasBacklog
                }
            }
            ringDoorbells()
            // One writer: a load and a store, no read-modify-write.
            busyCounter.store(busyCounter.load(ordering: .relaxed) &+ (MediaClock.nanos() &- now), ordering: .relaxed)
            // A call that stopped at its slice with frames left: come straight back for them.
            if backlog, !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) {
                _ = vd_eventfd_signal(wakeDescriptor)
            }
        }
        for i in 0..<callCount { retire(calls[i]) }
        callCount = 0
        attachedCounter.store(0, ordering: .relaxed)
        ringDoorbells()
    }

    /// Posts `event` for `call` on its doorbell, remembering the doorbell for `ringDoorbells`.
    ///
    /// - Realtime: media-thread only.
    private func announce(_ event: Doorbell.Event, _ call: CallPipeline) {
        let doorbell = Unmanaged.passUnretained(call.doorbell)
        announce(event, callID: call.callID, on: doorbell)
    }

    private func announce(_ event: Doorbell.Event, callID: UInt64, on doorbell: Unmanaged<Doorbell>) {
        guard doorbell._withUnsafeGuaranteedRef({ $0.post(from: index, callID: callID, event) }) else { return }
        if touchedCount == Self.maxTouched { ringDoorbells() }
        touched[touchedCount] = doorbell
        touchedCount += 1
    }

    /// Signals each doorbell posted on since the last call, once.
    ///
    /// - Realtime: media-thread only (one eventfd write per doorbell).
    private func ringDoorbells() {
        for i in 0..<touchedCount { touched[i]._withUnsafeGuaranteedRef { $0.signal(from: index) } }
        touchedCount = 0
    }

    /// Lets go of `call`: reads what the announcement needs, publishes `isRetired`, then posts by id
    /// only (the owner may free the call the moment it reads `isRetired`).
    ///
    /// - Realtime: media-thread only.
    private func retire(_ call: Unmanaged<CallPipeline>) {
        let (callID, doorbell) = call._withUnsafeGuaranteedRef { ($0.callID, Unmanaged.passUnretained($0.doorbell)) }
        call._withUnsafeGuaranteedRef { $0.markRetired() }
        announce(.retired, callID: callID, on: doorbell)
    }

    /// Applies queued commands. Returns false on stop.
    ///
    /// - Realtime: media-thread only.
    private func applyCommands() -> Bool {
        while let slot = commands.peek() {
            let kind = slot.tag(Command.self)
            let call = slot.pointee.value == 0 ? nil
                : Unmanaged<CallPipeline>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(slot.pointee.value))!)
            commands.release()
            switch (kind, call) {
            case (.attach, let call?):
                calls[callCount] = call
                callCount += 1
            case (.detach, let call?):
                if let i = (0..<callCount).first(where: { calls[$0].toOpaque() == call.toOpaque() }) {
                    callCount -= 1
                    calls[i] = calls[callCount]
                }
                retire(call)
                reserved.wrappingDecrement(ordering: .relaxed)
            default:
                return false
            }
            attachedCounter.store(callCount, ordering: .relaxed)
        }
        let shouldBatch = callCount > configuration.immediateWakeMaxCalls
        if shouldBatch != batching.load(ordering: .relaxed) {
            batching.store(shouldBatch, ordering: .relaxed)
            _ = vd_timerfd_set_period(timerDescriptor, shouldBatch ? batchTickNanos : Self.frameTickNanos)
        }
        return true
    }

    private static let frameTickNanos = UInt64(AudioFormat.frameDurationMs) * 1_000_000
    private var batchTickNanos: UInt64 {
        let (seconds, attoseconds) = configuration.batchInterval.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
