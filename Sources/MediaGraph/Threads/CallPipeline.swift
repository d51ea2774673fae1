import Atomics
import CAudio

/// Everything one call holds on the media side: its graph and its two rings, plus the ``Doorbell``
/// of the event loop that serves the call's socket.
///
/// ```
///  I/O thread ── writeUplink ──► [uplink ring] ──► media thread: graph ──► [downlink ring] ── readDownlink ──► I/O thread
///                                                       └─ rings the loop's doorbell (coalesced) ─┘
/// ```
///
/// - Threading: `writeUplink…`, `readDownlink`, `acknowledgeWake` and the counters are called on the
///   call's one I/O thread (the uplink producer and downlink consumer). `service()` runs only on the
///   media thread the call is attached to (uplink consumer, downlink producer). `isRetired` may be
///   read anywhere.
/// - Ownership: the I/O side (the Bridge's session) holds the only strong reference. A media thread
///   holds the call unretained from attach until it sets `isRetired` (and then posts `.retired` on
///   the doorbell), so the I/O side must keep the call alive until it sees `isRetired == true`; then
///   every resource is released with the object.
/// - Realtime: `service()` is safe; the I/O-side members are allocation-free too.
public final class CallPipeline: @unchecked Sendable {
    // @unchecked Sendable: each member is confined to one side as stated above; the sides meet only
    // through the SPSC rings and the atomics below.

    /// Settings fixed at call start.
    public struct Configuration: Sendable {
        /// Uplink ring slots (20 ms frames): default 64 (1.28 s of audio), a power of two.
        public var uplinkFrames: Int = 64
        /// Downlink ring slots (20 ms frames): default 256 (5.12 s), a power of two.
        public var downlinkFrames: Int = 256
        /// Longest timestamp gap filled with silence: default 10 s (protocols.md §1.4).
        public var maxSilenceGapMs: Int = 10_000
        /// The rate the agent takes and speaks (`rate=agent` in a spec): default the provider's.
        public var agentRateHz: Int?
        public init() {}
    }

    /// The voiced call id, for logs and metrics.
    public let callID: UInt64
    public let graph: Graph
    public let configuration: Configuration
    /// Producer: I/O thread. Consumer: media thread.
    let uplink: FrameRing
    /// Producer: media thread. Consumer: I/O thread.
    let downlink: FrameRing
    /// Where the media thread announces downlink audio and retirement to the call's event loop.
    public let doorbell: Doorbell

    private let outputPending = ManagedAtomic<Bool>(false)
    private let retired = ManagedAtomic<Bool>(false)
    private let framesProcessedCounter = ManagedAtomic<UInt64>(0)
    /// End-to-end in-server time of each frame: provider frame arrival → encoded reply in the downlink
    /// ring. Written by the media thread; read after retirement.
    public private(set) var serverLatency = LatencyHistogram()

    // I/O side: a partial frame being assembled from provider messages of any size.
    private let partial: UnsafeMutableRawBufferPointer
    private var partialCount = 0
    private var partialArrival: UInt64 = 0
    private let frameBytes: Int

    // Media side.
    private var pendingSilenceFrames = 0

    /// Builds the graph and allocates the rings (control or I/O thread, not the media thread).
    public init(callID: UInt64, spec: GraphSpec, providerFormat: AudioFormat, doorbell: Doorbell,
                configuration: Configuration = .init()) throws {
        self.callID = callID
        self.doorbell = doorbell
        self.configuration = configuration
        graph = try Graph(spec: spec, providerFormat: providerFormat, agentRateHz: configuration.agentRateHz)
        frameBytes = providerFormat.bytesPerFrame
        uplink = try FrameRing(slots: configuration.uplinkFrames, slotBytes: frameBytes)
        downlink = try FrameRing(slots: configuration.downlinkFrames, slotBytes: frameBytes)
        partial = .allocate(byteCount: frameBytes, alignment: 16)
    }

    deinit { partial.deallocate() }

    // MARK: I/O side

    /// Appends provider audio of any length; every complete 20 ms frame goes into the uplink ring,
    /// a remainder waits for the next call. Returns the number of frames dropped because the ring
    /// was full (0 normally).
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeUplink(_ bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) -> Int {
        var dropped = 0
        var rest = bytes
        while !rest.isEmpty {
            if partialCount == 0 { partialArrival = arrivalNanos }
            let take = min(frameBytes - partialCount, rest.count)
            UnsafeMutableRawBufferPointer(rebasing: partial[partialCount..<(partialCount + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            partialCount += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if partialCount == frameBytes {
                if !uplink.push(.audio, time: partialArrival, payload: UnsafeRawBufferPointer(partial)) { dropped += 1 }
                partialCount = 0
            }
        }
        return dropped
    }

    /// Queues `milliseconds` of silence (rounded to whole frames, capped at
    /// `maxSilenceGapMs`) to keep the media clock linear over a gap. Returns the frames queued.
    ///
    /// - Realtime: safe (I/O thread only).
    public func writeUplinkSilence(milliseconds: Int, arrivalNanos: UInt64) -> Int {
        let frames = min(milliseconds, configuration.maxSilenceGapMs) / AudioFormat.frameDurationMs
        guard frames > 0 else { return 0 }
        return uplink.push(.silence, time: arrivalNanos, value: UInt64(frames)) ? frames : 0
    }

    /// Hands every ready downlink frame to `body` (bytes in the provider's format, and the arrival
    /// time of the provider frame it answers), oldest first, up to `maxFrames`.
    ///
    /// - Realtime: safe (I/O thread only); `body` must not keep the pointer.
    public func readDownlink(maxFrames: Int = .max, _ body: (UnsafeRawBufferPointer, UInt64) -> Void) -> Int {
        var n = 0
        while n < maxFrames, let slot = downlink.peek() {
            body(slot.payload, slot.pointee.time_ns)
            downlink.release()
            n += 1
        }
        return n
    }

    /// Call before `readDownlink` when the doorbell says `.ready`: re-arms the announcement.
    ///
    /// - Realtime: safe (I/O thread only).
    public func acknowledgeWake() {
        // Sequentially consistent with the media thread's exchange in `claimAnnouncement`: either it
        // sees false and posts again, or this side's next read sees what it pushed.
        outputPending.store(false, ordering: .sequentiallyConsistent)
    }

    /// True once the media thread has let go of the call: the I/O side may then drop its reference.
    public var isRetired: Bool { retired.load(ordering: .acquiring) }

    /// Frames dropped because the uplink ring was full (the media thread fell behind).
    public var uplinkDrops: UInt64 { uplink.dropped }
    /// Frames dropped because the downlink ring was full (the I/O side fell behind).
    public var downlinkDrops: UInt64 { downlink.dropped }
    /// Frames the graph has processed (audio and silence).
    public var framesProcessed: UInt64 { framesProcessedCounter.load(ordering: .relaxed) }

    // MARK: Media side

    /// Drains the uplink ring through the graph into the downlink ring, as far as the downlink has
    /// room (a full downlink leaves work in the uplink ring: back-pressure, never a block). Returns
    /// whether it produced anything.
    ///
    /// - Realtime: safe (media-thread only).
    func service() -> Bool {
        guard pendingSilenceFrames > 0 || uplink.peek() != nil else { return false }
        var produced = 0
        var room = downlink.free
        while room > 0 {
            if pendingSilenceFrames > 0 {
                processFrame(arrivalNanos: MediaClock.nanos()) { $0.initializeMemory(as: UInt8.self, repeating: Self.silenceByte) }
                pendingSilenceFrames -= 1
            } else if let slot = uplink.peek() {
                switch slot.pointee.kind {
                case FrameRing.Kind.silence.rawValue:
                    pendingSilenceFrames = Int(slot.pointee.value)
                    uplink.release()
                    continue
                default:
                    let payload = slot.payload
                    processFrame(arrivalNanos: slot.pointee.time_ns) { $0.copyMemory(from: payload) }
                    uplink.release()
                }
            } else {
                break
            }
            produced += 1
            room -= 1
        }
        guard produced > 0 else { return false }
        framesProcessedCounter.wrappingIncrement(by: UInt64(produced), ordering: .relaxed)
        return true
    }

    /// μ-law silence (protocols.md §6.2). The uplink input of every graph is the provider's μ-law.
    private static let silenceByte: UInt8 = 0xFF

    @inline(__always)
    private func processFrame(arrivalNanos: UInt64, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let out = graph.runEcho(arrivalNanos: arrivalNanos, fill: fill)
        // The caller checked there is room; push cannot fail.
        _ = downlink.push(.audio, time: arrivalNanos, payload: UnsafeRawBufferPointer(out.pointee.bytes))
        // Safe: arrival happened before now on the same monotonic clock.
        serverLatency.record(MediaClock.nanos() &- arrivalNanos)
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
