import NIOCore

/// Load tracing: what each connection of the fake received and sent, and when, for `voiced
/// loadgen --fake-agent-port` to join with what its Twilio calls sent and heard.
///
/// Per connection the fake keeps, in arrays allocated when the connection is accepted:
///
/// ```
///  appends:   [arrival ns | checksum] [arrival ns | checksum] …   k = 0 ..< appendCount ≤ capacity
///  responses: [first-delta send ns] …                              r = 0 ..< responseCount ≤ capacity
/// ```
///
/// Recording one append or one response is two stores and a counter (no allocation, no lock); what
/// does not fit is counted, not stored. Times are `CLOCK_MONOTONIC` ns (``MonotonicClock``).
extension FakeRealtimeServer {
    /// What to trace, set in ``Behaviour/tracing``.
    public struct Tracing: Sendable {
        /// Appends kept per connection: default 3,000 (60 s of 20 ms frames). Later ones are counted
        /// in ``Trace/appendsNotTraced``.
        public var appendsPerConnection: Int
        /// Responses kept per connection: default 256. Later ones are counted in
        /// ``Trace/responsesNotTraced``.
        public var responsesPerConnection: Int

        public init(appendsPerConnection: Int = 3000, responsesPerConnection: Int = 256) {
            self.appendsPerConnection = max(0, appendsPerConnection)
            self.responsesPerConnection = max(0, responsesPerConnection)
        }
    }

    /// What one connection received and sent, copied out by ``traces()``.
    public struct Trace: Sendable {
        /// The connection: 1 for the first accepted upgrade, then 2, 3, … (accept order).
        public let connection: Int
        /// When append k arrived (the frame was read from the socket), CLOCK_MONOTONIC ns.
        public let appendArrivalNanos: [UInt64]
        /// ``FakeRealtimeServer/checksum(_:)`` of append k's decoded audio.
        public let appendChecksums: [UInt64]
        /// Appends past ``Tracing/appendsPerConnection``: counted, not kept.
        public let appendsNotTraced: Int
        /// For each response with audio, oldest first: when its first audio delta was written to the
        /// socket, CLOCK_MONOTONIC ns.
        public let responseFirstDeltaNanos: [UInt64]
        /// Responses past ``Tracing/responsesPerConnection``: counted, not kept.
        public let responsesNotTraced: Int
    }

    /// 64-bit FNV-1a of `bytes`, with the length mixed in: how ``Trace/appendChecksums`` fingerprints
    /// each append's audio, so a caller can check it received exactly what it sent.
    ///
    /// - Realtime: safe.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            // Safe: wrapping multiplication is the algorithm.
            hash = hash &* 0x0000_0100_0000_01B3
        }
        hash ^= UInt64(bytes.count)
        // Safe: as above.
        return hash &* 0x0000_0100_0000_01B3
    }

    /// A copy of every connection's trace (connections that closed included), by connection number.
    /// Empty unless ``Behaviour/tracing`` is set. Each trace is read on its connection's event loop,
    /// so this sees everything recorded before the call. Call it before ``stop()``.
    public func traces() async -> [Trace] {
        var out: [Trace] = []
        for bound in hub.traces {
            if let trace = try? await bound.eventLoop.submit({ bound.value.snapshot }).get() { out.append(trace) }
        }
        return out
    }

    /// `input_audio_buffer.append` events received on every connection so far (counted whether or
    /// not they are stored or traced).
    public var appendsReceived: Int { hub.appendsReceived.load(ordering: .relaxed) }
}

/// The trace of one connection (see ``FakeRealtimeServer/Trace``).
///
/// - Threading: every member is used on the connection's event loop (the hub holds it loop-bound).
/// - Ownership: allocated whole when the connection is accepted; the hub keeps it after the
///   connection closes, until the server goes.
/// - Realtime: `appended` and `responseStarted` are safe (stores into preallocated arrays); the
///   snapshot allocates.
final class ConnectionTrace {
    let connection: Int
    private var appendNanos: [UInt64]
    private var appendChecksums: [UInt64]
    private var appendCount = 0
    private var appendsNotTraced = 0
    private var firstDeltaNanos: [UInt64]
    private var responseCount = 0
    private var responsesNotTraced = 0

    init(connection: Int, tracing: FakeRealtimeServer.Tracing) {
        self.connection = connection
        appendNanos = Array(repeating: 0, count: tracing.appendsPerConnection)
        appendChecksums = Array(repeating: 0, count: tracing.appendsPerConnection)
        firstDeltaNanos = Array(repeating: 0, count: tracing.responsesPerConnection)
    }

    /// An append of `audio` arrived at `arrivalNanos`.
    func appended(_ audio: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        guard appendCount < appendNanos.count else {
            appendsNotTraced += 1
            return
        }
        appendNanos[appendCount] = arrivalNanos
        appendChecksums[appendCount] = FakeRealtimeServer.checksum(audio)
        appendCount += 1
    }

    /// A response's first audio delta went out at `firstDeltaNanos`.
    func responseStarted(firstDeltaNanos nanos: UInt64) {
        guard responseCount < firstDeltaNanos.count else {
            responsesNotTraced += 1
            return
        }
        firstDeltaNanos[responseCount] = nanos
        responseCount += 1
    }

    var snapshot: FakeRealtimeServer.Trace {
        FakeRealtimeServer.Trace(
            connection: connection, appendArrivalNanos: Array(appendNanos[0..<appendCount]),
            appendChecksums: Array(appendChecksums[0..<appendCount]), appendsNotTraced: appendsNotTraced,
            responseFirstDeltaNanos: Array(firstDeltaNanos[0..<responseCount]), responsesNotTraced: responsesNotTraced)
    }
}
