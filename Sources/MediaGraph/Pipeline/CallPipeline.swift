import Atomics
import CAudio

/// Everything one call holds on the media side: its graph, four audio rings, a control lane and an
/// event lane, plus the ``Doorbell`` of the event loop that serves the call's sockets.
///
/// ```
///            I/O thread                         media thread                          I/O thread
///  provider ─ writeProviderAudio ─► [provider-in] ─► uplink chain ─► [agent-out] ─ readAgentAudio ─► agent
///  agent ──── writeAgentAudio ────► [agent-in] ─► pacer ─► downlink chain ─► [provider-out] ─ readProviderAudio ─► provider
///  flushDownlink ─► [control] ─► (before every downlink frame)
///                              events ─► [event lane] ─► graph.events.drain
///                        every wake that produced something rings the loop's doorbell (coalesced)
/// ```
/// The two directions are independent. The uplink runs whenever provider audio is queued; the
/// downlink runs on the media thread's ticks under a ``DownlinkPacer``: an agent frame goes to the
/// provider once it would play at most `downlinkLeadMs` ahead of now, so the echo canceller's
/// far-end reference is the audio the caller is about to hear, and an agent that speaks faster than
/// real time waits in agent-in (then, when that is full, in its own socket: back-pressure). An empty
/// agent-in sends nothing and counts nothing as lost.
///
/// Flushing (a barge-in): the I/O side bumps the downlink *epoch* and sends it on the control lane.
/// Agent frames carry the epoch they were written in, and so do the provider frames made from them;
/// the media thread drops agent frames older than the newest epoch it has seen, and
/// `readProviderAudio` drops provider frames older than the I/O side's epoch. So no frame of the
/// flushed speech reaches the provider, whichever side of the flush the media thread was on.
///
/// - Threading: `write…`, `read…`, `finishAgentAudio`, `flushDownlink`, `acknowledgeWake` run on
///   the call's one I/O thread (producer of provider-in and agent-in, consumer of agent-out and
///   provider-out). `service(nowNanos:)` runs only on the media thread the call is attached to.
///   `isRetired` and the counters may be read anywhere.
/// - Ownership: the I/O side (the Bridge's session) holds the only strong reference. A media thread
///   holds the call unretained from attach until it sets `isRetired` (and then posts `.retired` on
///   the doorbell), so the I/O side must keep the call alive until it sees `isRetired == true`; then
///   every resource is released with the object.
/// - Realtime: `service(nowNanos:)` is safe; the I/O-side members are allocation-free too.
public final class CallPipeline: @unchecked Sendable {
    // @unchecked Sendable: each member is confined to one side as stated above; the sides meet only
    // through the SPSC rings and the atomics below.

    /// Settings fixed at call start.
    public struct Configuration: Sendable {
        /// Provider-in slots (20 ms frames): default 64 (1.28 s), a power of two. Full: the frame is
        /// dropped and counted (a provider cannot be paused).
        public var providerInFrames: Int = 64
        /// Agent-out slots: default 64 (1.28 s). Full: the uplink waits (the agent's socket is slow).
        public var agentOutFrames: Int = 64
        /// Agent-in slots: default 128 (2.56 s). Full: the agent's socket stops being read.
        public var agentInFrames: Int = 128
        /// Provider-out slots: default 32 (640 ms). Full: the downlink waits (the provider's socket
        /// is slow).
        public var providerOutFrames: Int = 32
        /// Longest timestamp gap filled with silence: default 10 s (protocols.md §1.4).
        public var maxSilenceGapMs: Int = 10_000
        /// Most agent audio sent to the provider ahead of real time: default 100 ms.
        public var downlinkLeadMs: Int = 100
        /// Most media-thread time one frame of the call may take, both directions: default 4 ms (a
        /// fifth of real time; `standard` takes well under 0.1 ms). A call over it on half the frames
        /// of a second is stopped (``FrameBudgetWatchdog``, ``CallPipeline/exceededBudget``).
        public var frameBudget: Duration = .milliseconds(4)
        public init() {}
    }

    /// The voiced call id, for logs and metrics.
    public let callID: UInt64
    public let graph: Graph
    /// What the graph costs its media thread per frame (``Graph/instructionsPerFrame``), fixed at
    /// build: what admission charges on attach and gives back on detach.
    public let instructionsPerFrame: Int
    public let configuration: Configuration
    /// Producer: I/O thread. Consumer: media thread. Provider format.
    private let providerIn: FrameRing<AudioSlot>
    /// Producer: media thread. Consumer: I/O thread. What the agent hears.
    private let agentOut: FrameRing<AudioSlot>
    /// Producer: I/O thread. Consumer: media thread. What the agent speaks; `value` is the epoch.
    private let agentIn: FrameRing<AudioSlot>
    /// Producer: media thread. Consumer: I/O thread. Provider format; `value` is the epoch.
    private let providerOut: FrameRing<AudioSlot>
    /// Producer: I/O thread. Consumer: media thread.
    private let control: ControlLane
    /// Where the media thread announces audio, events and retirement to the call's event loop.
    public let doorbell: Doorbell

    private let outputPending = ManagedAtomic<Bool>(false)
    private let retired = ManagedAtomic<Bool>(false)
    private let uplinkFramesCounter = ManagedAtomic<UInt64>(0)
    private let downlinkFramesCounter = ManagedAtomic<UInt64>(0)
    private let flushedFramesCounter = ManagedAtomic<UInt64>(0)
    private let overBudget = ManagedAtomic<Bool>(false)
    /// Provider frame arrival → the agent's frame queued in agent-out. Written by the media thread;
    /// read after retirement.
    public private(set) var uplinkLatency = LatencyHistogram()
    /// Agent audio arrival → the provider's frame queued in provider-out, pacing included. Same rules.
    public private(set) var downlinkLatency = LatencyHistogram()
    /// Both latencies again in fixed buckets, readable from any thread while the call runs
    /// (``LiveLatency``).
    public let liveLatency = LiveHistograms(count: 2)
    /// Where both sides' frames go when the call is recorded; nil otherwise.
    public let recording: RecordingTap?

    /// The histograms of ``liveLatency``.
    public enum LiveLatency {
        public static let uplink = 0
        public static let downlink = 1
    }

    // I/O side.
    private let providerReframer: Reframer
    private let agentReframer: Reframer
    /// The epoch agent audio is written in now; bumped by every flush.
    private var ioEpoch: UInt64 = 0
    /// Agent frames queued into agent-in so far (I/O side), for per-utterance accounting.
    public private(set) var agentFramesWritten = 0

    // Media side.
    private var pendingSilenceFrames = 0
    private var pacer: DownlinkPacer
    /// The newest epoch the media thread has seen; older agent frames are flushed audio.
    private var mediaEpoch: UInt64 = 0
    private var watchdog: FrameBudgetWatchdog
    /// Frames the last `service` ran: the more of its two directions (a frame of the call is one
    /// 20 ms step both ways), for the watchdog's charge.
    private var servicedFrames = 0
    /// Whether the last `service` stopped at ``maxFramesPerService`` with frames left.
    private(set) var hasBacklog = false

    /// Builds the graph from `nodes` and allocates the rings (control or I/O thread, not the media
    /// thread). `recorded`: both sides' frames also go to a ``RecordingTap`` for the call's recorder.
    public init(callID: UInt64, spec: GraphSpec, providerFormat: AudioFormat, agent: AgentAudio = .natural,
                nodes: NodeCatalog = .builtIn, doorbell: Doorbell, configuration: Configuration = .init(),
                recorded: Bool = false) throws {
        self.callID = callID
        recording = recorded ? try RecordingTap(format: providerFormat) : nil
        self.doorbell = doorbell
        self.configuration = configuration
        graph = try Graph(spec: spec, providerFormat: providerFormat, agent: agent, nodes: nodes, analysis: .background)
        instructionsPerFrame = graph.instructionsPerFrame
        providerIn = try FrameRing(slots: configuration.providerInFrames, slotBytes: providerFormat.bytesPerFrame)
        agentOut = try FrameRing(slots: configuration.agentOutFrames, slotBytes: graph.agentHears.bytesPerFrame)
        agentIn = try FrameRing(slots: configuration.agentInFrames, slotBytes: graph.agentSpeaks.bytesPerFrame)
        providerOut = try FrameRing(slots: configuration.providerOutFrames, slotBytes: providerFormat.bytesPerFrame)
        control = try ControlLane()
        providerReframer = Reframer(format: providerFormat)
        agentReframer = Reframer(format: graph.agentSpeaks)
        pacer = DownlinkPacer(leadMs: configuration.downlinkLeadMs)
        let (seconds, attoseconds) = configuration.frameBudget.components
        watchdog = FrameBudgetWatchdog(budgetNanos: UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000))
    }

    // MARK: I/O side: provider → agent

    /// Appends provider audio of any length (a byte-stream format; Opus goes packet by packet through
    /// ``writeProviderPacket(_:arrivalNanos:)``); every complete 20 ms frame goes into provider-in, a
    /// remainder waits for the next call. Returns the number of frames dropped because the ring was
    /// full (0 normally).
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeProviderAudio(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Int {
        var dropped = 0
        _ = providerReframer.write(bytes, arrivalNanos: arrivalNanos) { frame, arrival in
            if !providerIn.push(.audio, time: arrival, payload: frame) { dropped += 1 }
        }
        return dropped
    }

    /// Queues one packet of a packetized provider format (Opus): one 20 ms frame, as it came (an
    /// empty packet stands for a lost one, which the decoder conceals). Returns false when the ring
    /// was full and the frame dropped.
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeProviderPacket(_ packet: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Bool {
        providerIn.push(.audio, time: arrivalNanos, payload: packet)
    }

    /// Queues `milliseconds` of silence (rounded to whole frames, capped at `maxSilenceGapMs`) to
    /// keep the media clock linear over a gap. Returns the frames queued.
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeProviderSilence(milliseconds: Int, arrivalNanos: UInt64) -> Int {
        let frames = min(milliseconds, configuration.maxSilenceGapMs) / AudioFormat.frameDurationMs
        guard frames > 0 else { return 0 }
        return providerIn.push(.silence, time: arrivalNanos, value: UInt64(frames)) ? frames : 0
    }

    /// Hands every frame the uplink made for the agent to `body` (bytes in ``Graph/agentHears``,
    /// and the arrival time of the provider frame it came from), oldest first, up to `maxFrames`.
    ///
    /// - Realtime: safe (I/O thread only); `body` must not keep the pointer.
    public func readAgentAudio(maxFrames: Int = .max, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> Int {
        var n = 0
        while n < maxFrames, let slot = agentOut.peek() {
            body(slot.payload, slot.pointee.time_ns)
            agentOut.release()
            n += 1
        }
        return n
    }

    // MARK: I/O side: agent → provider

    /// Appends agent audio (in ``Graph/agentSpeaks``) of any length, cut into 20 ms frames, as far
    /// as agent-in has room. Returns how many bytes it took: fewer than `bytes.count` means agent-in
    /// is full — stop reading the agent and offer the rest after the next doorbell.
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeAgentAudio(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Int {
        agentReframer.write(bytes, arrivalNanos: arrivalNanos, hasRoom: { agentIn.free > 0 }, emit: pushAgentFrame)
    }

    /// The agent finished an utterance: a partial last frame is padded with silence and queued, so
    /// the tail is played. Returns false when agent-in had no room: call again after the next doorbell.
    ///
    /// - Realtime: safe (I/O thread only).
    public func finishAgentAudio() -> Bool {
        agentReframer.finish(hasRoom: { agentIn.free > 0 }, emit: pushAgentFrame)
    }

    /// Queues one agent frame; the caller checked there is room (this thread is the only producer).
    ///
    /// - Realtime: safe (I/O thread only).
    private func pushAgentFrame(_ frame: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        _ = agentIn.push(.audio, time: arrivalNanos, value: ioEpoch, payload: frame)
        agentFramesWritten += 1
    }

    /// Agent frames waiting for the pacer (a snapshot).
    public var agentAudioQueued: Int { agentIn.count }

    /// Drops all agent audio not yet sent to the provider — queued here, in agent-in, on the media
    /// thread or in provider-out — and tells the downlink's nodes (``NodeControl/flush``); for a
    /// barge-in also the uplink's (``NodeControl/bargeIn``). Audio written after this call plays
    /// normally. Returns false when the control lane is full (the media thread is stuck); the I/O
    /// side still drops what reaches it.
    ///
    /// - Realtime: safe (I/O thread only).
    public func flushDownlink(bargeIn: Bool = false) -> Bool {
        // Safe: 2^64 flushes do not happen.
        ioEpoch &+= 1
        agentReframer.discard()
        return control.send(.flushDownlink(epoch: ioEpoch, bargeIn: bargeIn))
    }

    /// Delivers `setting` to the nodes it names, in both directions, before their next frame
    /// (``MediaNode/control(_:)``). Returns false when the control lane is full.
    ///
    /// - Realtime: safe (I/O thread only).
    public func setNodeSetting(_ setting: NodeSetting) -> Bool {
        control.send(.setting(setting))
    }

    /// Hands every provider frame the downlink made to `body` (bytes in the provider's format, and
    /// the arrival time of the agent audio it came from), oldest first, up to `maxFrames`. Frames of
    /// flushed speech are dropped on the way.
    ///
    /// - Realtime: safe (I/O thread only); `body` must not keep the pointer.
    public func readProviderAudio(maxFrames: Int = .max, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> Int {
        var n = 0
        while n < maxFrames, let slot = providerOut.peek() {
            if slot.pointee.value == ioEpoch {
                body(slot.payload, slot.pointee.time_ns)
                n += 1
            } else {
                flushedFramesCounter.wrappingIncrement(ordering: .relaxed)
            }
            providerOut.release()
        }
        return n
    }

    // MARK: I/O side: wake-ups and counters

    /// Call before reading when the doorbell says `.ready`: re-arms the announcement.
    ///
    /// - Realtime: safe (I/O thread only).
    public func acknowledgeWake() {
        // Sequentially consistent with the media thread's exchange in `claimAnnouncement`: either it
        // sees false and posts again, or this side's next read sees what it pushed.
        outputPending.store(false, ordering: .sequentiallyConsistent)
    }

    /// True once the media thread has let go of the call: the I/O side may then drop its reference.
    public var isRetired: Bool { retired.load(ordering: .acquiring) }

    /// Provider frames dropped because provider-in was full (the media thread fell behind).
    public var providerInDrops: UInt64 { providerIn.dropped }
    /// Uplink frames the graph has processed (audio and inserted silence).
    public var uplinkFrames: UInt64 { uplinkFramesCounter.load(ordering: .relaxed) }
    /// Downlink frames the graph has processed.
    public var downlinkFrames: UInt64 { downlinkFramesCounter.load(ordering: .relaxed) }
    /// Agent frames dropped by flushes (never played, by design).
    public var flushedFrames: UInt64 { flushedFramesCounter.load(ordering: .relaxed) }
    /// True once the call's graph took more than ``Configuration/frameBudget`` per frame too often:
    /// the media thread no longer runs it (its rings fill and drop), and the I/O side should end
    /// the call. Announced with `.ready` on the doorbell.
    public var exceededBudget: Bool { overBudget.load(ordering: .sequentiallyConsistent) }

    // MARK: Media side

    /// Frames one `service` runs per direction at most: a call catching up on a backlog (or with a
    /// graph too heavy for real time) takes its turn in slices, so the other calls of its media
    /// thread are served in between and the watchdog judges it before it can stall them.
    static let maxFramesPerService = 8

    /// Runs both directions as far as they can go now (at most ``maxFramesPerService`` frames each):
    /// provider-in through the uplink into agent-out (while agent-out has room), then agent-in
    /// through the downlink into provider-out as the pacer allows (while provider-out has room).
    /// Returns whether it produced anything.
    ///
    /// - Realtime: safe (media-thread only).
    func service(nowNanos: UInt64) -> Bool {
        guard !watchdog.tripped else { return false }
        servicedFrames = 0
        hasBacklog = false
        let up = serviceUplink()
        let down = serviceDownlink(nowNanos: nowNanos)
        return up || down
    }

    /// Charges the media thread's time for the last `service` to the call's ``FrameBudgetWatchdog``.
    /// Returns true when the call has just exceeded its budget.
    ///
    /// - Realtime: safe (media-thread only).
    func charge(nanos: UInt64) -> Bool {
        guard watchdog.charge(nanos: nanos, frames: servicedFrames) else { return false }
        // Sequentially consistent, as `outputPending`: the I/O side that acknowledges the `.ready`
        // the media thread posts next sees it.
        overBudget.store(true, ordering: .sequentiallyConsistent)
        return true
    }


    /// - Realtime: safe (media-thread only).
    private func serviceUplink() -> Bool {
        guard pendingSilenceFrames > 0 || providerIn.peek() != nil else { return false }
        var produced = 0
        var room = min(agentOut.free, Self.maxFramesPerService)
        while room > 0 {
            if pendingSilenceFrames > 0 {
                let silence = graph.providerFormat.silenceByte
                runUplink(arrivalNanos: MediaClock.nanos()) { $0.initializeMemory(as: UInt8.self, repeating: silence) }
                pendingSilenceFrames -= 1
            } else if let slot = providerIn.peek() {
                switch slot.tag(AudioSlot.self) {
                case .silence:
                    pendingSilenceFrames = Int(slot.pointee.value)
                    providerIn.release()
                    continue
                case .audio:
                    let payload = slot.payload
                    runUplink(arrivalNanos: slot.pointee.time_ns, packetBytes: payload.count) { $0.copyMemory(from: payload) }
                    providerIn.release()
                }
            } else {
                break
            }
            produced += 1
            room -= 1
        }
        guard produced > 0 else { return false }
        servicedFrames = max(servicedFrames, produced)
        if produced == Self.maxFramesPerService, pendingSilenceFrames > 0 || providerIn.peek() != nil { hasBacklog = true }
        uplinkFramesCounter.wrappingIncrement(by: UInt64(produced), ordering: .relaxed)
        return true
    }

    @inline(__always)
    private func runUplink(arrivalNanos: UInt64, packetBytes: Int = 0, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let out = graph.runUplink(arrivalNanos: arrivalNanos, packetBytes: packetBytes) { input in
            fill(input)
            recording?.caller(UnsafeRawBufferPointer(input))
        }
        // The caller checked there is room; push cannot fail.
        _ = agentOut.push(.audio, time: arrivalNanos, payload: UnsafeRawBufferPointer(out.pointee.bytes))
        // Safe: arrival happened before now on the same monotonic clock.
        let latency = MediaClock.nanos() &- arrivalNanos
        uplinkLatency.record(latency)
        liveLatency.record(LiveLatency.uplink, nanos: latency)
    }

    /// - Realtime: safe (media-thread only).
    private func serviceDownlink(nowNanos now: UInt64) -> Bool {
        applyControl()
        var produced = 0
        var room = min(providerOut.free, Self.maxFramesPerService)
        while room > 0, pacer.mayRelease(atNanos: now), let slot = agentIn.peek() {
            let epoch = slot.pointee.value
            // A newer epoch means a flush was sent before this frame was written: apply it first.
            if epoch > mediaEpoch { applyControl() }
            guard epoch >= mediaEpoch else {
                agentIn.release()
                flushedFramesCounter.wrappingIncrement(ordering: .relaxed)
                continue
            }
            let arrival = slot.pointee.time_ns
            let payload = slot.payload
            let out = graph.runDownlink(arrivalNanos: arrival) { $0.copyMemory(from: payload) }
            agentIn.release()
            _ = providerOut.push(.audio, time: arrival, value: epoch, payload: UnsafeRawBufferPointer(out.pointee.bytes))
            recording?.agent(UnsafeRawBufferPointer(out.pointee.bytes))
            pacer.released(atNanos: now)
            // Safe: the agent audio arrived before now on the same monotonic clock.
            let latency = MediaClock.nanos() &- arrival
            downlinkLatency.record(latency)
            liveLatency.record(LiveLatency.downlink, nanos: latency)
            produced += 1
            room -= 1
        }
        guard produced > 0 else { return false }
        servicedFrames = max(servicedFrames, produced)
        if produced == Self.maxFramesPerService, agentIn.peek() != nil { hasBacklog = true }
        downlinkFramesCounter.wrappingIncrement(by: UInt64(produced), ordering: .relaxed)
        return true
    }

    /// Applies every queued control message.
    ///
    /// - Realtime: safe (media-thread only).
    @inline(__always)
    private func applyControl() {
        control.drain { message in
            switch message {
            case let .flushDownlink(epoch, bargeIn):
                mediaEpoch = max(mediaEpoch, epoch)
                graph.downlink.control(.flush)
                if bargeIn { graph.uplink.control(.bargeIn) }
                pacer.reset()
            case let .setting(setting):
                graph.uplink.control(.setting(setting))
                graph.downlink.control(.setting(setting))
            }
        }
    }

    /// True when the I/O side has not been told about new output since its last `acknowledgeWake`:
    /// the caller must then post `.ready` on the doorbell. At most one post per batch.
    ///
    /// - Realtime: safe (media-thread only).
    func claimAnnouncement() -> Bool {
        !outputPending.exchange(true, ordering: .sequentiallyConsistent)
    }

    /// The media thread has dropped the call. Publishes `isRetired` (release: everything the media
    /// thread wrote, histograms included, is visible to whoever reads `true`); the caller then posts
    /// `.retired` by call id, never touching the object again.
    ///
    /// - Realtime: safe (media-thread only).
    func markRetired() {
        retired.store(true, ordering: .releasing)
    }
}
