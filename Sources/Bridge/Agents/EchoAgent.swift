import MediaGraph

/// The benchmark agent: every frame of caller audio it hears, it says straight back, on the same
/// path a real agent's speech takes (agent-in, the paced downlink, provider-out). It hears and
/// speaks whatever the graph's uplink produces and cannot be interrupted (it would interrupt itself
/// with every word), so no playback marks are sent.
///
/// - Threading: the call's event loop (see ``AgentConnector``).
final class EchoAgent: AgentConnector, CustomStringConvertible {
    let audio = AgentAudio.natural
    let interruptible = false
    private weak var sink: AgentSink?

    func start(_ call: AgentCall, sink: AgentSink) { self.sink = sink }

    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        // The agent queue holds 2.56 s and echo speaks at exactly the caller's pace, so it has room;
        // were it full, the frame would be lost like any late echo.
        _ = sink?.agentSpeech(frames, item: "echo")
    }

    func graphEvent(_ event: MediaEvent) {}
    func interrupted(item: String, heardMs: Int) {}
    func resumeSpeaking() {}
    func dtmf(_ digit: String) {}
    func stop() { sink = nil }

    var description: String { "echo" }
}
