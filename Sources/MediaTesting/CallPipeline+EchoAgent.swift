import MediaGraph

extension CallPipeline {
    /// Plays the call's I/O side with an echo agent, once: re-arms the doorbell announcement, moves
    /// every frame the uplink made for the agent straight back into agent-in (waking `thread` when
    /// there was any), and returns the provider frames the downlink has ready now.
    ///
    /// - Threading: the test's thread plays the call's one I/O thread.
    public func echoStep(waking thread: MediaThread) -> [[UInt8]] {
        doorbell.drain { _, _ in }
        acknowledgeWake()
        let moved = readAgentAudio { bytes, arrival in _ = writeAgentAudio(bytes, arrivalNanos: arrival) }
        if moved > 0 { thread.requestWake() }
        var out: [[UInt8]] = []
        _ = readProviderAudio { bytes, _ in out.append(Array(bytes)) }
        return out
    }
}

extension CallPipeline.Configuration {
    /// Default rings with a downlink lead of 11 days: agent audio goes out as soon as it is made;
    /// and a frame budget of a second, since a test runner shares the machine's cores with the
    /// media thread (a preempted frame is not a slow graph). For tests and benchmarks that send far
    /// faster than real time through an echo; the pacer and the watchdog have their own tests.
    public static var unpaced: Self {
        var configuration = Self()
        configuration.downlinkLeadMs = 1_000_000_000
        configuration.frameBudget = .seconds(1)
        return configuration
    }
}
