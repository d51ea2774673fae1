import Logging
import MediaGraph
import NIOCore

/// One call's link to a voice agent: the echo benchmark, the built-in demo, an OpenAI Realtime or
/// Azure Voice Live session, or the user's own bot. One file or folder per kind under `Agents/`.
///
/// The call's ``CallSession`` drives it: `start` once, then caller audio (20 ms frames in
/// ``audio``'s `hears` format, as the uplink makes them), what the graph noticed, interruptions
/// and DTMF; `stop` when the call ends. The connector answers through the ``AgentSink`` it was
/// started with: the agent's speech (any chunk size, in `speaks` format, per utterance item), and
/// failures.
///
/// - Threading: every method is called on the call's event loop, and a connector calls its sink
///   only there (an agent socket runs on that same loop).
/// - Ownership: the session owns the connector from `start` to `stop`; the connector holds its sink
///   weakly or until `stop`.
/// - Realtime: not a media-thread type.
protocol AgentConnector: AnyObject {
    /// What the agent hears and speaks; fixed before the call's graph is built.
    var audio: AgentAudio { get }
    /// Whether the caller can interrupt it: its audio is then tracked with playback marks and a
    /// barge-in flushes it. The echo benchmark is not.
    var interruptible: Bool { get }
    /// Starts the agent for `call`. Failures are reported through `sink`, never thrown.
    func start(_ call: AgentCall, sink: AgentSink)
    /// 20 ms frames of caller audio, oldest first; `arrivalNanos` is the provider frame's arrival.
    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64)
    /// What the graph noticed, in uplink media time: speech started or stopped, or an event of a
    /// node's own (``NodeEvent``). A barge-in goes to `interrupted` instead.
    func graphEvent(_ event: MediaEvent)
    /// The caller interrupted `item` after hearing `heardMs` of it (never more than was sent): the
    /// agent's queued audio is already gone; stop the utterance (cancel, truncate).
    func interrupted(item: String, heardMs: Int)
    /// The sink took less than it was offered and now has room: offer the rest.
    func resumeSpeaking()
    /// A DTMF digit the caller pressed.
    func dtmf(_ digit: String)
    /// The provider has played utterance `item` up to `ms` (from its returned marks). Default: nothing.
    func played(item: String, ms: Int)
    /// The call ended: close sockets, drop state. No sink call may follow.
    func stop()
}

extension AgentConnector {
    func played(item: String, ms: Int) {}
}

/// What the call tells an agent about itself at `start`.
struct AgentCall {
    /// voiced's call id.
    var callID: UInt64
    /// The agent profile the call talks to (`demo`, `sales`).
    var profile: String
    /// The provider's description of the call.
    var provider: ProviderCallStart
    /// The call's event loop (agent sockets run on it).
    var eventLoop: EventLoop
    /// The call's logger (metadata `call`).
    var logger: Logger
    /// The server's counters (agent errors, reconnects, transcripts…).
    var stats: BridgeStats
}

/// Where an ``AgentConnector`` delivers what the agent says.
///
/// - Threading: the call's event loop only.
protocol AgentSink: AnyObject {
    /// Agent speech of utterance `item` (in the connector's `speaks` format, any length). Returns the
    /// bytes taken; fewer than offered means the call's agent queue is full: hold the rest and stop
    /// reading the agent until `resumeSpeaking`.
    func agentSpeech(_ bytes: UnsafeRawBufferPointer, item: String) -> Int
    /// Utterance `item` is complete: its partial last frame is padded and played.
    func agentFinishedSpeaking(item: String)
    /// The agent's own voice detector heard the caller start speaking (a barge-in trigger).
    func agentHeardCaller()
    /// The agent cannot go on; the call ends with `reason` (after a short apology tone where the
    /// caller would otherwise hear nothing).
    func agentFailed(_ reason: String)
    /// The agent asks to drop its audio not yet played (the provider's flush, the call's agent
    /// queue); unlike a barge-in, the agent is not told `interrupted`.
    func agentCleared()
    /// The agent ends the call.
    func agentHungUp(_ reason: String)
    /// Whether any of the agent's speech is still queued or playing at the provider.
    var agentAudioPending: Bool { get }
}
