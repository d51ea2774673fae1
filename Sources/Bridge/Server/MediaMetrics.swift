import MediaGraph
import NIOConcurrencyHelpers

/// What the media threads measure, for `/metrics`, live: per-node processing time and per-frame
/// latency both ways, over every call ever run — the ended ones folded into totals, the running
/// ones read from their ``LiveHistograms`` at scrape time. Media threads never call in here; they
/// only write their calls' preallocated histograms.
///
/// A call moves from the live set into the totals under the same lock a scrape takes, so a scrape
/// sees every frame exactly once and no count ever goes down.
///
/// - Threading: any thread except media threads (a mutex guards the set and the totals).
final class MediaMetrics: Sendable {
    /// Direction and node name: what a node's time is labelled by.
    struct NodeKey: Hashable, Sendable {
        var direction: String
        var node: String
    }

    /// Every histogram, summed.
    struct Totals: Sendable {
        var uplink = LiveHistograms.Snapshot()
        var downlink = LiveHistograms.Snapshot()
        var nodes: [NodeKey: LiveHistograms.Snapshot] = [:]

        mutating func add(_ call: CallPipeline) {
            uplink.add(call.liveLatency.snapshot(CallPipeline.LiveLatency.uplink))
            downlink.add(call.liveLatency.snapshot(CallPipeline.LiveLatency.downlink))
            for (direction, node, timing) in call.graph.liveNodeTimings {
                nodes[NodeKey(direction: direction, node: node), default: LiveHistograms.Snapshot()].add(timing)
            }
        }
    }

    private struct State {
        var ended = Totals()
        var running: [UInt64: CallPipeline] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// A call attached to its media thread.
    func started(_ call: CallPipeline) {
        state.withLockedValue { $0.running[call.callID] = call }
    }

    /// A call retired: its counts join the totals.
    func retired(_ call: CallPipeline) {
        state.withLockedValue { state in
            guard state.running.removeValue(forKey: call.callID) != nil else { return }
            state.ended.add(call)
        }
    }

    /// The totals over ended calls plus every running call as it stands.
    func snapshot() -> Totals {
        state.withLockedValue { state in
            var totals = state.ended
            for call in state.running.values { totals.add(call) }
            return totals
        }
    }
}
