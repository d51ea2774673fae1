import Logging
import MediaGraph

/// Turns a caller interruption into the exact sequence of shared/protocols.md §5.3, in this order:
/// the provider's flush (`clear`) so the caller hears nothing more, the pending marks into the
/// ignore set, the call's queued agent audio flushed through the control lane, and the agent told
/// which utterance was cut and how much of it was heard (it cancels and truncates).
///
/// Triggers: the graph's `barge-in` node, or the agent's own voice detector — acted on only while
/// agent audio is audible or queued, and only for agents that can be interrupted.
///
/// - Threading: one per call, on the call's event loop.
struct BargeInCoordinator {
    /// What noticed the interruption.
    enum Trigger: CustomStringConvertible {
        /// The graph's `barge-in` node, at this uplink media time.
        case graph(mediaMs: UInt64)
        /// The agent's own voice detector (OpenAI `input_audio_buffer.speech_started`).
        case agent
        /// The agent itself asked to drop its queued audio (a bot's `clear`): not an interruption
        /// to report back to it.
        case agentClear

        var description: String {
            switch self {
            case let .graph(ms): "graph at \(ms) ms"
            case .agent: "agent"
            case .agentClear: "agent's clear"
            }
        }
    }

    /// Flushes acted on in this call (interruptions and agent clears).
    private(set) var count = 0

    /// Acts on `trigger` if there is agent audio to stop. Returns whether it did.
    mutating func interrupt(_ trigger: Trigger, tracker: inout PlayoutTracker, pipeline: CallPipeline,
                            provider: ProviderOutput, agent: AgentConnector, logger: Logger) -> Bool {
        guard agent.interruptible, tracker.isAgentAudible else { return false }
        provider.send { $0.clear(allocator: $1) }
        let cut = tracker.interrupt()
        if !pipeline.flushDownlink(bargeIn: !trigger.isAgentClear) {
            logger.warning("barge-in: control lane full; flushed audio is still dropped on the way out")
        }
        count += 1
        logger.info("barge-in", metadata: [
            "trigger": "\(trigger)", "item": "\(cut?.item ?? "-")", "heard_ms": "\(cut?.heardMs ?? 0)",
        ])
        if let cut, !trigger.isAgentClear { agent.interrupted(item: cut.item, heardMs: cut.heardMs) }
        return true
    }
}

extension BargeInCoordinator.Trigger {
    var isAgentClear: Bool { if case .agentClear = self { true } else { false } }
}
