/// Why a call (or a media connection that never became one) ended: exactly one per call, counted
/// in `/stats` and `/metrics` by reason and provider, and written in the `call unregistered` line.
///
/// - Threading: a value.
public enum CallEndReason: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The provider's socket closed without `stop` (the caller hung up, or the network went).
    case callerHungUp = "caller_hung_up"
    /// The provider sent `stop`.
    case providerStop = "provider_stop"
    /// The agent ended the call (its goodbye played first).
    case agentHungUp = "agent_hung_up"
    /// The agent could not be reached or failed mid-call (an apology tone played first).
    case agentFailed = "agent_failed"
    /// Nothing from the provider for the idle timeout, or no `start` within the start timeout.
    case idleTimeout = "idle_timeout"
    /// Refused at `start`: `--max-calls` reached or no media thread has room for the call's graph.
    case overCapacity = "over_capacity"
    /// The call's graph overran its per-frame budget on the media thread again and again.
    case overBudget = "over_budget"
    /// The provider stopped reading what voiced sent.
    case providerStalled = "provider_stalled"
    /// The server drained (SIGTERM or SIGINT) and the call outlasted the drain timeout.
    case shutdown
    /// The provider broke its protocol: bad UTF-8, an unsupported format, an unknown graph or
    /// agent, a message flood, a WebSocket error.
    case protocolError = "protocol_error"
    /// The media upgrade failed the provider's signature check (refused with 403).
    case authFailed = "auth_failed"

    public var description: String { rawValue }
}

/// A ``CallEndReason`` with what happened in words, for the log.
struct CallEnd: Sendable, CustomStringConvertible {
    var reason: CallEndReason
    var detail: String

    init(_ reason: CallEndReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    var description: String { "\(reason): \(detail)" }
}
