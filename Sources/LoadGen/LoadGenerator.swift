import Bridge
import Foundation
import Histogram
import NIOCore
import NIOPosix
import NIOWebSocket

/// Plays Twilio for many concurrent calls against a voiced daemon and measures what comes back.
///
/// **Echo mode** (the default, against `voiced serve --agent echo`): each call connects at its slot
/// in a linear ramp (plus a random 0–20 ms offset), sends `connected` and `start`, then one 20 ms
/// μ-law frame of real speech at a time on an absolute schedule (frame k is due at t0 + 20k ms,
/// however late the previous one was), then `stop`. Frame i counts as returned when 160·(i+1)
/// payload bytes have come back on that call; its round-trip time is then minus the moment frame
/// i was sent.
///
/// **Fake-agent mode** (``Configuration/fakeAgent`` set, against `voiced serve --agent openai`
/// pointed at the fake): the generator also runs a ``FakeRealtimeServer`` that answers every caller
/// turn with a TTS-like burst, and each call plays what it hears at real time and returns marks
/// as Twilio does (``ProviderPlayback``). Calls start one after another, so the fake's connection i
/// is call i (voiced dials the agent when a call's `start` arrives), and the run joins what the
/// calls sent and heard with the fake's ``FakeRealtimeServer/Trace``s: uplink latency (frame sent →
/// its `input_audio_buffer.append` at the fake), downlink first audio (a response's first delta →
/// the call's next `media`), and barge-in reaction (the first frame of a sentence spoken over the
/// agent → the call's next `clear`). See ``Report/AgentFigures``.
///
/// - Threading: `run()` from any task. Calls are spread over `clientThreads` event loops; each
///   loop's calls, histograms and ticker live on that loop only (``LoadShard``).
/// - Ownership: owns its client event loops and, unless one is handed to `run`, the fake agent;
///   both are shut down before `run` returns.
/// - Realtime: unsafe (allocates, awaits); never on a media thread. Per frame it allocates only the
///   message buffers NIO writes.
public final class LoadGenerator: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var path = "/twilio"
        public var calls = 1
        public var seconds = 10.0
        /// Seconds over which call starts are spread: default 1 s per 100 calls, at most 10 s.
        public var rampSeconds: Double?
        /// 20 ms μ-law frames to play; looped when the call is longer.
        public var frames: [[UInt8]] = []
        /// Server process to sample CPU and RSS from `/proc`.
        public var serverPID: Int32?
        /// Client event loops: default 1 (the load generator must keep up on one core).
        public var clientThreads = 1
        /// Fake-agent mode: default nil (echo mode).
        public var fakeAgent: FakeAgent?
        /// The provider to speak, when not Twilio (echo mode only): `frames` are converted to its
        /// format (``ProviderAudio``) and sent as it sends them.
        public var wire: (any ProviderWire)?
        public init() {}
    }

    /// The fake agent the generator runs, and what its calls measure against it.
    public struct FakeAgent: Sendable {
        /// Port the fake Realtime server binds on 127.0.0.1 (GA dialect, key `test-key`): required;
        /// 0 takes a free one (only useful with a fake handed to ``LoadGenerator/run(fakeAgent:)``).
        public var port: Int
        /// Audio in each answer, in ms: default 2000.
        public var responseAudioMs: Int
        /// Audio per `response.output_audio.delta`, in ms: default 100.
        public var chunkMs: Int
        /// Frames (indices into ``Configuration/frames``) where a sentence starts: the frames whose
        /// send time starts a barge-in measurement when the call hears the agent. Default empty
        /// (no barge-in figures).
        public var sentenceStartFrames: [Int]
        /// Time between two calls' starts, in ms: default max(5, ramp ÷ calls) with the ramp of
        /// ``Configuration/rampSeconds``. Calls start one after another so the fake's connections
        /// come in call order; keep it above the jitter of voiced's agent dial-out.
        public var callSpacingMs: Double?
        /// Quiet after a response's last audio before the run stops its calls, so the answer to a
        /// final turn still arrives: default 300 ms.
        public var settleMs: Int

        public init(port: Int, responseAudioMs: Int = 2000, chunkMs: Int = 100, sentenceStartFrames: [Int] = [],
                    callSpacingMs: Double? = nil, settleMs: Int = 300) {
            self.port = port
            self.responseAudioMs = responseAudioMs
            self.chunkMs = chunkMs
            self.sentenceStartFrames = sentenceStartFrames
            self.callSpacingMs = callSpacingMs
            self.settleMs = settleMs
        }
    }

    public let configuration: Configuration
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Frames each call sends.
    var framesPerCall: Int { Int(configuration.seconds * 1000) / 20 }
    /// Seconds over which calls start.
    var rampSeconds: Double { configuration.rampSeconds ?? min(10, Double(configuration.calls) / 100) }

    /// The fake agent's behaviour in fake-agent mode: GA auto-responder, answers of
    /// `responseAudioMs` sent as a burst (`realtimeFactor` 0) in `chunkMs` deltas, on one event
    /// loop, appends counted rather than stored, and traces sized for this run.
    public func fakeAgentBehaviour() -> FakeRealtimeServer.Behaviour {
        let agent = configuration.fakeAgent ?? FakeAgent(port: 0)
        return FakeRealtimeServer.Behaviour(
            autoRespond: true, responseAudioMs: agent.responseAudioMs, chunkMs: agent.chunkMs, realtimeFactor: 0,
            eventLoopThreads: 1, storesAppends: false,
            tracing: .init(appendsPerConnection: framesPerCall + 64, responsesPerConnection: framesPerCall / 25 + 16))
    }

    /// Starts the fake agent this configuration asks for (``fakeAgentBehaviour()`` on
    /// ``FakeAgent/port``). Throws when the port cannot be bound.
    public func startFakeAgent() async throws -> FakeRealtimeServer {
        try await FakeRealtimeServer(dialect: .ga, behaviour: fakeAgentBehaviour(), port: configuration.fakeAgent?.port ?? 0)
    }

    /// Runs the calls and returns what they measured. In fake-agent mode it uses `fakeAgent` when
    /// given (made with ``fakeAgentBehaviour()``; the caller stops it), else starts its own on
    /// ``FakeAgent/port`` and stops it before returning.
    public func run(fakeAgent: FakeRealtimeServer? = nil) async throws -> Report {
        let config = configuration
        precondition(!config.frames.isEmpty, "no audio frames to play")
        precondition(config.wire == nil || config.fakeAgent == nil, "the fake agent plays Twilio only")
        guard config.fakeAgent != nil else { return try await runCalls(fake: nil) }
        if let fakeAgent { return try await runCalls(fake: fakeAgent) }
        let fake = try await startFakeAgent()
        do {
            let report = try await runCalls(fake: fake)
            try await fake.stop()
            return report
        } catch {
            try? await fake.stop()
            throw error
        }
    }

    private func runCalls(fake: FakeRealtimeServer?) async throws -> Report {
        let config = configuration
        let framesPerCall = framesPerCall
        // Only the frames a call plays are converted (resampling a long file costs seconds).
        let encoded = try config.wire.map { try ProviderAudio.frames(Array(config.frames.prefix(framesPerCall)), for: $0) }
            ?? config.frames.map { Array(TwilioMessages.base64($0).utf8) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, config.clientThreads))
        defer { group.shutdownGracefully { _ in } }
        let ramp = rampSeconds
        let loops = Array(group.makeIterator())
        let playback: LoadShard.Playback? = config.fakeAgent.map { agent in
            var starts = [Bool](repeating: false, count: config.frames.count)
            for k in agent.sentenceStartFrames where starts.indices.contains(k) { starts[k] = true }
            return LoadShard.Playback(sentenceStarts: starts)
        }
        let shards = loops.map { LoadShard(loop: $0, frames: encoded, framesPerCall: framesPerCall, playback: playback, wire: config.wire) }
        let rssBefore = config.serverPID.flatMap(ProcessSampler.rssBytes)
        let usageBefore = ProcessSampler.selfCPUSeconds()
        let started = Date()

        if let agent = config.fakeAgent {
            // One after another, so the fake's connection i belongs to call i.
            for shard in shards { try await shard.startTicker() }
            let spacingMs = agent.callSpacingMs ?? max(5, 1000 * ramp / Double(max(1, config.calls)))
            let spacingNanos = UInt64(max(0, spacingMs) * 1e6)
            let begin = MonotonicClock.nanos()
            for i in 0..<config.calls {
                let slot = begin + UInt64(i) * spacingNanos
                let now = MonotonicClock.nanos()
                if slot > now { try await Task.sleep(nanoseconds: slot - now) }
                await shards[i % shards.count].startCall(index: i, host: config.host, port: config.port, path: config.path)
            }
        } else {
            // Connect every call at its slot in the ramp.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for i in 0..<config.calls {
                    let shard = shards[i % shards.count]
                    let delay = ramp * Double(i) / Double(max(1, config.calls)) + Double.random(in: 0..<0.02)
                    tasks.addTask {
                        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                        await shard.startCall(index: i, host: config.host, port: config.port, path: config.path)
                    }
                }
                for shard in shards { try await shard.startTicker() }
                try await tasks.waitForAll()
            }
        }

        // Steady state: every call is on. Sample the server over the middle of the run.
        let steadyStart = Date()
        let cpuBefore = config.serverPID.flatMap(ProcessSampler.cpuSeconds)
        let threadsBefore = fake == nil ? [:] : config.serverPID.map(ProcessSampler.threadCPUSeconds) ?? [:]
        let window = max(0.5, config.seconds - 1.0)
        try await Task.sleep(nanoseconds: UInt64(window * 1e9))
        let cpuAfter = config.serverPID.flatMap(ProcessSampler.cpuSeconds)
        let threadsAfter = fake == nil ? [:] : config.serverPID.map(ProcessSampler.threadCPUSeconds) ?? [:]
        let steadySeconds = Date().timeIntervalSince(steadyStart)
        let rssPeak = config.serverPID.flatMap(ProcessSampler.rssBytes)

        // Wait for every call to finish sending and draining (at most seconds + 5 s more).
        let deadline = Date().addingTimeInterval(config.seconds + 5)
        while Date() < deadline {
            var done = true
            for shard in shards where !(try await shard.allFinished()) { done = false }
            if done { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        if let fake, let agent = config.fakeAgent {
            // Every frame sent should reach the fake; then let the answer to a last turn arrive.
            var sent = 0
            for shard in shards { sent += try await shard.framesSent() }
            let drainDeadline = Date().addingTimeInterval(5)
            while fake.appendsReceived < sent, Date() < drainDeadline { try await Task.sleep(nanoseconds: 10_000_000) }
            try await Task.sleep(nanoseconds: UInt64(max(0, agent.settleMs)) * 1_000_000)
        }
        for shard in shards { try await shard.stopAll() }

        var rtt = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var lateness = rtt
        var sent: UInt64 = 0, returned: UInt64 = 0, connected = 0
        var calls: [LoadShard.CallRecord] = []
        var bargeIn = rtt
        for shard in shards {
            let s = try await shard.totals()
            rtt.add(s.rtt)
            lateness.add(s.lateness)
            bargeIn.add(s.bargeIn)
            sent += s.sent
            returned += s.returned
            connected += s.connected
            if fake != nil { calls += try await shard.records() }
        }
        let elapsed = Date().timeIntervalSince(started)
        let usage = ProcessSampler.selfCPUSeconds() - usageBefore
        func ms(_ us: UInt64) -> Double { Double(us) / 1000 }
        var report = Report(
            calls: config.calls, callsConnected: connected, seconds: config.seconds,
            framesSent: sent, framesReturned: returned, framesLost: sent - min(sent, returned),
            rttP50Ms: ms(rtt.valueAtPercentile(50)), rttP90Ms: ms(rtt.valueAtPercentile(90)),
            rttP99Ms: ms(rtt.valueAtPercentile(99)), rttMaxMs: ms(rtt.max),
            sendLatenessP99Ms: ms(lateness.valueAtPercentile(99)),
            loadgenCPUPercent: 100 * usage / elapsed)
        if let cpuBefore, let cpuAfter, connected > 0 {
            report.serverCPUMsPerCallSecond = (cpuAfter - cpuBefore) * 1000 / (Double(connected) * steadySeconds)
        }
        if let rssPeak {
            report.serverRSSMB = Double(rssPeak) / 1_048_576
            if let rssBefore, connected > 0 { report.serverRSSPerCallKB = Double(rssPeak - rssBefore) / 1024 / Double(connected) }
        }
        if let fake, let agent = config.fakeAgent {
            let traces = await fake.traces()
            var figures = Report.AgentFigures.join(calls: calls.sorted { $0.index < $1.index }, traces: traces, frames: config.frames,
                                                   bargeIn: bargeIn)
            figures.fakeAgentPort = fake.port
            figures.agentConnections = fake.connectionCount
            figures.responseAudioMs = agent.responseAudioMs
            figures.serverThreads = Report.ThreadCPU.between(threadsBefore, threadsAfter, calls: connected, seconds: steadySeconds)
            report.agent = figures
            // The frames that count as lost in this mode are those the agent never received.
            report.framesReturned = figures.framesAppended
            report.framesLost = figures.appendsLost
        }
        return report
    }
}
