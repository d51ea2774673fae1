import Atomics
import MediaGraph
import NIOConcurrencyHelpers

/// Daemon-wide counters and latency, for `/stats`, logs and tests.
///
/// - Threading: counters are atomics (relaxed: statistics order nothing); the latency histogram is
///   merged under a mutex when a call ends. Any thread except media threads.
public final class BridgeStats: Sendable {
    /// Provider media WebSockets open (upgraded).
    public let connectionsOpen = ManagedAtomic<Int>(0)
    /// TCP connections speaking HTTP: not upgraded (yet), control-plane requests included.
    public let httpConnectionsOpen = ManagedAtomic<Int>(0)
    public let callsStarted = ManagedAtomic<Int>(0)
    public let callsEnded = ManagedAtomic<Int>(0)
    /// Calls whose graph took more than their per-frame budget on the media thread (ended).
    public let callsOverBudget = ManagedAtomic<UInt64>(0)
    public let framesIn = ManagedAtomic<UInt64>(0)
    public let framesOut = ManagedAtomic<UInt64>(0)
    /// Frames lost inside voiced (a full ring), summed over ended and live calls' reports.
    public let framesDropped = ManagedAtomic<UInt64>(0)
    public let silenceFramesInserted = ManagedAtomic<UInt64>(0)
    /// Provider audio dropped because it came faster than real time (beyond the burst allowance).
    public let framesOverRealTime = ManagedAtomic<UInt64>(0)
    /// Timestamp-gap silence not inserted because it would run the call ahead of real time.
    public let silenceFramesRefused = ManagedAtomic<UInt64>(0)
    /// Times a media socket was not read for a moment because it sent messages faster than
    /// ``ConnectionLimits/messagesPerSecond``.
    public let readPauses = ManagedAtomic<UInt64>(0)
    /// Times ``HeapTrimmer`` handed freed heap memory back to the kernel.
    public let heapTrims = ManagedAtomic<UInt64>(0)
    public let messagesRejected = ManagedAtomic<UInt64>(0)
    public let unknownEvents = ManagedAtomic<UInt64>(0)
    /// Errors a provider reported about what we sent (Telnyx `error`).
    public let providerErrors = ManagedAtomic<UInt64>(0)
    public let dtmfDigits = ManagedAtomic<UInt64>(0)
    /// Caller speech segments the graph's `vad` node reported (speech-started events).
    public let speechStarts = ManagedAtomic<UInt64>(0)
    /// Full-scale samples the graphs' level meters counted, over ended calls.
    public let clippedSamples = ManagedAtomic<UInt64>(0)
    /// Caller interruptions of audible agent speech the graph's `barge-in` node reported.
    public let bargeIns = ManagedAtomic<UInt64>(0)
    private let rejectionsByReason = LabelledCounters<String>()
    /// Agents that failed mid-call or could not be reached (the call ended after an apology tone).
    public let agentFailures = ManagedAtomic<UInt64>(0)
    /// Agent connections made again after dropping mid-call.
    public let agentReconnects = ManagedAtomic<UInt64>(0)
    /// Caller audio messages (a batch of 20 ms frames each) not sent because the agent's socket had
    /// stopped taking writes (an agent that reads nothing): dropped, so a stalled agent never grows
    /// voiced's memory.
    public let agentCallerAudioDropped = ManagedAtomic<UInt64>(0)
    /// `error` events agents sent (most are recoverable; the session goes on).
    public let agentErrors = ManagedAtomic<UInt64>(0)
    /// Agent messages that could not be parsed or were of an unknown type (ignored).
    public let agentMessagesRejected = ManagedAtomic<UInt64>(0)
    /// Of those, well-formed events of a type voiced does not know.
    public let agentUnknownEvents = ManagedAtomic<UInt64>(0)
    /// Agent audio of a response voiced had already interrupted (dropped, never played).
    public let agentLateAudioDropped = ManagedAtomic<UInt64>(0)
    /// Finished transcripts (caller's and agent's) agents sent.
    public let agentTranscripts = ManagedAtomic<UInt64>(0)
    private let limitClosuresByKind = LabelledCounters<String>()
    private let nodeEventsByName = LabelledCounters<String>()
    private let refusalsByReason = LabelledCounters<String>()
    private let authRefusalsByProvider = LabelledCounters<String>()
    private let endedByReason = LabelledCounters<CallOutcome>()
    private let startedByProvider = LabelledCounters<String>()
    /// Per-node and per-frame timings of running and ended calls (``MediaMetrics``).
    let media = MediaMetrics()
    /// Timings the event loops record (agent connect, barge-in reaction).
    let timings = ControlPlaneMetrics()
    private let latency = NIOLockedValueBox<LatencySnapshot>(LatencySnapshot())

    public init() {}

    func rejected(_ error: ProviderProtocolError) {
        messagesRejected.wrappingIncrement(ordering: .relaxed)
        rejectionsByReason.count(error.metricLabel)
    }

    /// A connection closed by one of ``ConnectionLimits`` (a timeout, a message flood).
    func closedByLimit(_ kind: String) {
        limitClosuresByKind.count(kind)
    }

    /// Connections closed by a limit, by kind: `request_head`, `request_body`, `idle`, `start`,
    /// `write_stall`, `message_flood` (``ConnectionLimits``).
    public var limitClosures: [String: UInt64] { limitClosuresByKind.snapshot }

    /// A node's own event (``NodeEvent``) reached its call's session.
    func nodeEvent(_ name: String) {
        nodeEventsByName.count(name)
    }

    /// Events of the graphs' own nodes (a DTMF detector's `dtmf`…), by name.
    public var nodeEvents: [String: UInt64] { nodeEventsByName.snapshot }

    /// A call refused for want of media-thread capacity.
    func refused(_ error: MediaThreadError) {
        let reason = switch error {
        case .overBudget: "over_budget"
        case .full: "media_threads_full"
        default: "media_threads_unavailable"
        }
        refusalsByReason.count(reason)
    }

    /// A call refused by ``CallAdmission``: `--max-calls` reached, or the server drains.
    func refused(_ refusal: CallAdmission.Refusal) { refusalsByReason.count(refusal.rawValue) }

    /// Calls refused for want of capacity, at their upgrade or their `start`, by reason
    /// (`max_calls`, `draining`, `over_budget`, `media_threads_full`).
    public var refusals: [String: UInt64] { refusalsByReason.snapshot }

    /// A provider request (media upgrade or webhook) failed its authentication check.
    func authRefused(_ provider: String) { authRefusalsByProvider.count(provider) }

    /// Requests refused for failed authentication, by provider.
    public var authRefusals: [String: UInt64] { authRefusalsByProvider.snapshot }

    /// A call started: counted, and its media timings shown live from now on.
    func started(_ call: CallPipeline, provider: String) {
        callsStarted.wrappingIncrement(ordering: .relaxed)
        startedByProvider.count(provider)
        media.started(call)
    }

    /// Calls started, by provider.
    public var startsByProvider: [String: UInt64] { startedByProvider.snapshot }

    /// A call, or a media connection that never became one, ended.
    func ended(provider: String, _ reason: CallEndReason) {
        endedByReason.count(CallOutcome(provider: provider, reason: reason))
    }

    /// Calls and media connections ended, by provider and ``CallEndReason``.
    public var endings: [CallOutcome: UInt64] { endedByReason.snapshot }

    /// A provider and an end reason: the labels calls are counted by when they end.
    public struct CallOutcome: Hashable, Sendable {
        public var provider: String
        public var reason: CallEndReason
    }

    /// Rejected messages by ``ProviderProtocolError/metricLabel``.
    public var rejections: [String: UInt64] { rejectionsByReason.snapshot }

    /// Folds a retired call's histograms into the daemon's.
    func merge(_ call: CallPipeline) {
        media.retired(call)
        latency.withLockedValue { totals in
            totals.uplink.add(call.uplinkLatency)
            totals.downlink.add(call.downlinkLatency)
            for (node, histogram) in call.graph.nodeTimings { totals.nodes[node, default: LatencyHistogram()].add(histogram) }
        }
    }

    /// In-server latency per frame both ways and per-node processing time, over every ended call.
    public struct LatencySnapshot: Sendable {
        /// Provider frame arrival → the agent's frame queued for its socket.
        public var uplink = LatencyHistogram()
        /// Agent audio arrival → the provider's frame queued for its socket (pacing included).
        public var downlink = LatencyHistogram()
        public var nodes: [String: LatencyHistogram] = [:]
    }

    public var latencySnapshot: LatencySnapshot { latency.withLockedValue { $0 } }
}
