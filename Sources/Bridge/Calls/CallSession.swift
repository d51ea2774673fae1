import Foundation
import Logging
import MediaGraph
import NIOCore

/// One call, provider-neutral: its ``CallPipeline`` on a media thread, its ``AgentConnector``, the
/// ``PlayoutTracker`` and ``BargeInCoordinator`` between them, and the pumping of audio both ways.
///
/// ```
///  provider socket ─ providerMedia ─► pipeline ─► (uplink) ─► pump: agent.callerAudio
///  agent ─ agentSpeech ─► pipeline ─► (paced downlink) ─► pump: provider media + mark
///  graph events ─► pump: agent.graphEvent / barge-in
/// ```
/// Lifecycle (``CallState``): made at the provider's `start` once ``CallAdmission`` gave it a place
/// (graph built, attached to a media thread, registered, agent started: `started`); `active` from
/// the first caller audio; `end(_:)` decides its one ``CallEndReason`` and asks the media thread to
/// let go (`ending`); when the doorbell says the call retired, ``CallReport`` files it, every
/// resource is released and the place given back (`ended`).
///
/// - Threading: every method runs on the call's event loop (the provider socket's).
/// - Ownership: the loop's ``EventLoopCalls`` holds the session from start until it retired (it may
///   outlive its socket); the session owns its pipeline and agent, and holds the provider socket
///   weakly.
/// - Realtime: not a media-thread type; the per-frame paths do not allocate apart from NIO's
///   message buffers and one mark name per message.
final class CallSession: AgentSink {
    let record: CallRecord
    let live: LiveCall
    let pipeline: CallPipeline
    let agent: AgentConnector
    private(set) var logger: Logger
    private let environment: CallEnvironment
    private let thread: MediaThread
    private let loopCalls: EventLoopCalls
    private weak var provider: ProviderOutput?
    private let sender: ProviderAudioSender
    private var tracker = PlayoutTracker()
    private var bargeIn = BargeInCoordinator()
    private var timeline: MediaTimeline
    private var realTime: RealTimeGuard
    private var warnedOverRealTime = false
    private var ended = false
    private var endedBy: CallEnd?
    /// The agent offered more than the pipeline took: tell it when there is room.
    private var agentWaiting = false
    /// A look at a held short batch is scheduled (``sendProviderAudio()``).
    private var padCheckArmed = false
    /// The utterance being written, and whether its tail still needs padding and queueing.
    private var speakingItem: String?
    private var tailPending = false
    /// The call's recording file, when it is recorded.
    let recordingPath: String?
    /// Each graph barge-in's reaction (ms), for the call's record; at most ``maxRecordedReactions``.
    private(set) var bargeInReactionsMs: [Int] = []
    static let maxRecordedReactions = 100
    /// Provider payloads are base64-decoded here in pieces.
    private let decodeScratch: UnsafeMutableRawBufferPointer

    /// Decoded payload bytes are staged in pieces (a multiple of 3 bytes ↔ 4 characters).
    private static let decodeChunkCharacters = 960

    /// Builds the call's graph for `agent`, attaches it to a media thread, registers the call and
    /// starts the agent. The caller has taken the call's place (``CallAdmission/admit()``); the
    /// session gives it back when the call ends, or at once when this throws ``GraphBuildError`` (the
    /// call's own graph is bad) or a resource error.
    init(start: ProviderCallStart, providerFormat: AudioFormat, spec: GraphSpec, agent: AgentConnector, agentName: String,
         recorded: Bool, provider: ProviderOutput, loopCalls: EventLoopCalls, environment: CallEnvironment) throws {
        let callID = environment.registry.makeCallID()
        var logger = environment.logger
        // Every line of the call carries its ids.
        logger[metadataKey: "call.id"] = "\(callID)"
        logger[metadataKey: "provider"] = "\(start.provider)"
        logger[metadataKey: "provider.call_id"] = .wire(start.callID)
        logger[metadataKey: "provider.stream_id"] = .wire(start.streamID)
        var configuration = environment.callConfiguration
        configuration.downlinkLeadMs = provider.framing.downlinkLeadMs(atLeast: configuration.downlinkLeadMs)
        do {
            pipeline = try CallPipeline(callID: callID, spec: spec, providerFormat: providerFormat, agent: agent.audio,
                                        nodes: environment.graphs.nodes, doorbell: loopCalls.doorbell, configuration: configuration,
                                        recorded: recorded && environment.recordings != nil)
            thread = try environment.pool.attach(pipeline)
        } catch {
            environment.admission.release()
            throw error
        }
        record = CallRecord(callID: callID, call: start, mediaThread: thread.index, startedNanos: MediaClock.nanos(), startedAt: Date())
        live = LiveCall(record: record, agent: agentName, graph: spec.name, pipeline: pipeline)
        if let tap = pipeline.recording, let recordings = environment.recordings {
            recordingPath = recordings.open(tap, callID: callID, provider: start.provider, startedAt: record.startedAt)
        } else {
            recordingPath = nil
        }
        sender = ProviderAudioSender(framing: provider.framing, format: providerFormat)
        self.agent = agent
        self.logger = logger
        self.environment = environment
        self.loopCalls = loopCalls
        self.provider = provider
        timeline = MediaTimeline(bytesPerMs: providerFormat.bytesPerFrame / AudioFormat.frameDurationMs)
        realTime = RealTimeGuard(burstMs: environment.limits.mediaBurstMs, maxBankMs: environment.callConfiguration.maxSilenceGapMs)
        decodeScratch = .allocate(byteCount: Self.decodeChunkCharacters / 4 * 3, alignment: 16)
        loopCalls.add(callID, self)
        let active = environment.registry.add(live)
        environment.stats.started(pipeline, provider: start.provider)
        environment.webhooks?.send(.started(record, agent: agentName, graph: spec.name, server: environment.serverID))
        logger.info("call registered \(callID) (provider=\(start.provider), caller=\(WireText(start.from ?? "-", limit: 40))). Active calls: \(active)/\(environment.admission.maxCalls)")
        logger.info("call started", metadata: [
            "from": .wire(start.from ?? "-"), "to": .wire(start.to ?? "-"), "provider_format": .wire(start.formatDescription),
            "graph": "\(spec.name)", "agent": "\(agentName)", "agent_audio": "\(pipeline.graph.agentHears) / \(pipeline.graph.agentSpeaks)",
            "media_thread": "\(thread.index)", "parameters": .wire(start.customParameters),
        ])
        agent.start(AgentCall(callID: callID, profile: agentName, provider: start, eventLoop: loopCalls.eventLoop, logger: logger,
                              stats: environment.stats),
                    sink: self)
    }

    deinit {
        decodeScratch.deallocate()
    }

    // MARK: From the provider

    /// Caller audio: gaps in the provider's timestamps become silence, the payload goes into the
    /// pipeline's provider-in ring, and the media thread is woken — as far as the call stays within
    /// real time (``RealTimeGuard``): beyond it payloads are dropped and gap silence is cut, counted.
    func providerMedia(_ media: ProviderMedia, arrivalNanos: UInt64) {
        guard !ended else { return }
        live.heardMedia(atNanos: arrivalNanos)
        live.advance(to: .active)
        let format = pipeline.graph.providerFormat
        let payloadBytes = media.encoding == .base64 ? Base64.decodedCount(media.payload) : media.payload.count
        let gapMs = media.timestampMs.map { timeline.advance(timestampMs: $0, payloadBytes: payloadBytes) } ?? 0
        let frames = media.packetLengths?.count ?? payloadBytes / format.bytesPerFrame
        // Rounded up: no payload is free.
        let audioMs = media.packetLengths.map { $0.count * AudioFormat.frameDurationMs }
            ?? (payloadBytes * AudioFormat.frameDurationMs + format.bytesPerFrame - 1) / format.bytesPerFrame
        let admission = realTime.admit(audioMs: audioMs,
                                       gapMs: gapMs, nowNanos: arrivalNanos)
        if admission.silenceMs < gapMs {
            environment.stats.silenceFramesRefused.wrappingIncrement(by: UInt64((gapMs - admission.silenceMs) / AudioFormat.frameDurationMs), ordering: .relaxed)
        }
        guard admission.audio else {
            environment.stats.framesOverRealTime.wrappingIncrement(by: UInt64(max(1, frames)), ordering: .relaxed)
            if !warnedOverRealTime {
                warnedOverRealTime = true
                logger.warning("the provider sends audio faster than real time; dropping what is beyond it",
                               metadata: ["burst_ms": "\(realTime.burstMs)"])
            }
            return
        }
        if admission.silenceMs > 0 {
            let frames = pipeline.writeProviderSilence(milliseconds: admission.silenceMs, arrivalNanos: arrivalNanos)
            environment.stats.silenceFramesInserted.wrappingIncrement(by: UInt64(frames), ordering: .relaxed)
            logger.debug("timestamp gap filled with silence", metadata: ["gap_ms": "\(gapMs)", "frames": "\(frames)"])
        }
        var dropped = 0
        switch media.encoding {
        case .raw:
            if let packets = media.packetLengths {
                var offset = 0
                for length in packets {
                    let packet = UnsafeRawBufferPointer(rebasing: media.payload[offset..<(offset + length)])
                    if !pipeline.writeProviderPacket(packet, arrivalNanos: arrivalNanos) { dropped += 1 }
                    offset += length
                }
            } else {
                dropped = pipeline.writeProviderAudio(media.payload, arrivalNanos: arrivalNanos)
            }
        case .base64:
            var offset = 0
            let text = media.payload
            while offset < text.count {
                let end = min(offset + Self.decodeChunkCharacters, text.count)
                // Validated as a whole by the dialect, so every chunk decodes.
                let n = Base64.decode(UnsafeRawBufferPointer(rebasing: text[offset..<end]), into: decodeScratch) ?? 0
                dropped += pipeline.writeProviderAudio(UnsafeRawBufferPointer(rebasing: decodeScratch[0..<n]), arrivalNanos: arrivalNanos)
                offset = end
            }
        }
        if media.concealedFrames > 0 {
            environment.stats.silenceFramesInserted.wrappingIncrement(by: UInt64(media.concealedFrames), ordering: .relaxed)
        }
        environment.stats.framesIn.wrappingIncrement(by: UInt64(frames), ordering: .relaxed)
        if dropped > 0 { environment.stats.framesDropped.wrappingIncrement(by: UInt64(dropped), ordering: .relaxed) }
        thread.requestWake()
    }

    /// A mark we sent came back.
    func markReturned(_ name: String) {
        switch tracker.markReturned(name) {
        case let .played(item, ms): agent.played(item: item, ms: ms)
        case .ignored: break
        case .unknown: logger.debug("unknown mark ignored", metadata: ["name": .wire(name)])
        }
    }

    /// The caller pressed a key.
    func dtmf(_ digit: String) {
        environment.stats.dtmfDigits.wrappingIncrement(ordering: .relaxed)
        logger.info("dtmf", metadata: ["digit": "\(digit)"])
        agent.dtmf(digit)
    }

    /// The provider's socket can take more: send what waits in provider-out.
    func providerWritable() { sendProviderAudio() }

    // MARK: From the media thread

    /// Downlink audio is ready, or the call retired (``EventLoopCalls``).
    func doorbellRang(_ event: Doorbell.Event) {
        switch event {
        case .ready:
            guard !ended else { return }
            pipeline.acknowledgeWake()
            pump()
            if pipeline.exceededBudget { stopOverBudget() }
        case .retired:
            finishIfRetired()
        }
    }

    /// Moves everything the media thread made: audio for the agent, audio for the provider (with
    /// marks, or marks the playout clock returns for a provider without them), and the graph's
    /// events; then lets a waiting agent go on.
    private func pump() {
        _ = pipeline.readAgentAudio { frame, arrival in agent.callerAudio(frame, arrivalNanos: arrival) }
        sendProviderAudio()
        sender.returnPlayedMarks(nowNanos: MediaClock.nanos()) { markReturned($0) }
        pipeline.graph.events.drain { event in handle(event) }
        if tailPending { queueTail() }
        if agentWaiting, !tailPending {
            agentWaiting = false
            agent.resumeSpeaking()
        }
    }

    /// Sends ready provider frames (``ProviderAudioSender``) and counts them; a short batch held
    /// for more (Exotel's 100 ms chunks) is looked at again when it is due to be padded.
    private func sendProviderAudio() {
        guard let provider else { return }
        let now = MediaClock.nanos()
        let sent = sender.send(from: pipeline, to: provider, tracker: &tracker, interruptible: agent.interruptible, nowNanos: now)
        if sent > 0 {
            provider.flush()
            environment.stats.framesOut.wrappingIncrement(by: UInt64(sent), ordering: .relaxed)
        }
        if let due = sender.padDueNanos, !padCheckArmed {
            padCheckArmed = true
            loopCalls.eventLoop.scheduleTask(in: .nanoseconds(Int64(due > now ? due - now : 0) + 1_000_000)) { [weak self] in
                guard let self else { return }
                padCheckArmed = false
                if !ended { sendProviderAudio() }
            }
        }
    }

    /// What the graph's nodes noticed.
    private func handle(_ event: MediaEvent) {
        switch event {
        case let .speechStarted(ms):
            environment.stats.speechStarts.wrappingIncrement(ordering: .relaxed)
            logger.debug("caller speech started", metadata: ["media_ms": "\(ms)"])
            agent.graphEvent(event)
        case let .speechStopped(ms):
            logger.debug("caller speech stopped", metadata: ["media_ms": "\(ms)"])
            agent.graphEvent(event)
        case let .bargeIn(ms):
            interrupt(.graph(mediaMs: ms))
        case let .node(nodeEvent):
            environment.stats.nodeEvent(nodeEvent.name.description)
            logger.debug("node event", metadata: [
                "name": "\(nodeEvent.name)", "detail": "\(nodeEvent.detail)", "value": "\(nodeEvent.value)", "media_ms": "\(nodeEvent.mediaMs)",
            ])
            agent.graphEvent(event)
        }
    }

    private func interrupt(_ trigger: BargeInCoordinator.Trigger) {
        guard let provider else { return }
        if bargeIn.interrupt(trigger, tracker: &tracker, pipeline: pipeline, provider: provider, agent: agent, logger: logger) {
            if !trigger.isAgentClear { environment.stats.bargeIns.wrappingIncrement(ordering: .relaxed) }
            if case let .graph(onsetMs) = trigger {
                // The uplink's media time now, less the caller's first word: how long the caller
                // talked over the agent before voiced cleared the provider.
                let nowMs = pipeline.uplinkFrames * UInt64(AudioFormat.frameDurationMs)
                let reaction = nowMs > onsetMs ? nowMs - onsetMs : 0
                environment.stats.timings.bargeInReaction(ms: reaction)
                if bargeInReactionsMs.count < Self.maxRecordedReactions { bargeInReactionsMs.append(Int(reaction)) }
            }
            sender.discard()
            provider.flush()
            speakingItem = nil
            tailPending = false
        }
    }

    // MARK: AgentSink

    func agentSpeech(_ bytes: UnsafeRawBufferPointer, item: String) -> Int {
        guard !ended else { return bytes.count }
        if speakingItem != item {
            // A new utterance: the previous one's tail goes first.
            if speakingItem != nil { agentFinishedSpeaking(item: speakingItem!) }
            guard !tailPending else {
                agentWaiting = true
                return 0
            }
            speakingItem = item
        }
        let before = pipeline.agentFramesWritten
        let taken = pipeline.writeAgentAudio(bytes, arrivalNanos: MediaClock.nanos())
        if agent.interruptible { tracker.wrote(frames: pipeline.agentFramesWritten - before, item: item) }
        if taken < bytes.count { agentWaiting = true }
        thread.requestWake()
        return taken
    }

    func agentFinishedSpeaking(item: String) {
        guard !ended, speakingItem == item else { return }
        tailPending = true
        queueTail()
    }

    /// Pads and queues the current utterance's partial last frame, if agent-in has room.
    private func queueTail() {
        guard let item = speakingItem else {
            tailPending = false
            return
        }
        let before = pipeline.agentFramesWritten
        guard pipeline.finishAgentAudio() else { return }
        if agent.interruptible { tracker.wrote(frames: pipeline.agentFramesWritten - before, item: item) }
        tailPending = false
        speakingItem = nil
        thread.requestWake()
    }

    func agentHeardCaller() {
        interrupt(.agent)
    }

    var agentAudioPending: Bool { tailPending || tracker.isAgentAudible || pipeline.agentAudioQueued > 0 }

    func agentCleared() {
        interrupt(.agentClear)
    }

    func agentHungUp(_ reason: String) {
        guard !ended else { return }
        logger.info("agent hung up", metadata: ["reason": .wire(reason)])
        endWhenPlayed(CallEnd(.agentHungUp, "agent hung up: \(reason)"), checksLeft: 100)
    }

    /// Ends the call once the agent's queued speech has played (checked every 100 ms, at most
    /// `checksLeft` times), so a goodbye is heard.
    private func endWhenPlayed(_ end: CallEnd, checksLeft: Int) {
        guard !ended else { return }
        guard checksLeft > 0, agentAudioPending else {
            hangUp?(end)
            return
        }
        loopCalls.eventLoop.scheduleTask(in: .milliseconds(100)) { [weak self] in
            self?.endWhenPlayed(end, checksLeft: checksLeft - 1)
        }
    }

    func agentFailed(_ reason: String) {
        guard !ended else { return }
        environment.stats.agentFailures.wrappingIncrement(ordering: .relaxed)
        logger.error("agent failed; ending the call after an apology tone", metadata: ["reason": .wire(reason, limit: 300)])
        _ = pipeline.flushDownlink()
        sender.discard()
        tracker = PlayoutTracker()
        speakingItem = nil
        tailPending = false
        let tone = pipeline.graph.agentSpeaks.apologyTone()
        _ = tone.withUnsafeBytes { pipeline.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) }
        _ = pipeline.finishAgentAudio()
        thread.requestWake()
        // Long enough for the tone to leave the pacer and play at the provider.
        let playMs = Int64(tone.count / pipeline.graph.agentSpeaks.bytesPerFrame * AudioFormat.frameDurationMs) + 300
        loopCalls.eventLoop.scheduleTask(in: .milliseconds(playMs)) { [weak self] in
            self?.hangUp?(CallEnd(.agentFailed, "agent failed: \(reason)"))
        }
    }

    /// Set by the provider socket: ends the call and closes the socket (the agent failed or hung
    /// up, the graph exceeded its budget, the call went idle or outlasted a drain).
    var hangUp: ((CallEnd) -> Void)?

    // MARK: Ending

    /// The media thread stopped running this call's graph: it took more than its per-frame budget.
    private func stopOverBudget() {
        guard !ended else { return }
        environment.stats.callsOverBudget.wrappingIncrement(ordering: .relaxed)
        let budget = environment.callConfiguration.frameBudget
        logger.error("call's graph exceeds its media-thread budget; ending the call", metadata: [
            "graph": "\(pipeline.graph.spec.name)", "frame_budget": "\(budget)",
        ])
        hangUp?(CallEnd(.overBudget, "graph over its per-frame budget of \(budget)"))
    }

    /// Ends the call if the provider has sent no audio for `limitNanos` (the idle sweep,
    /// ``EventLoopCalls``).
    func endIfIdle(nowNanos: UInt64, limitNanos: UInt64) {
        guard !ended, nowNanos &- live.lastMediaNanos > limitNanos else { return }
        hangUp?(CallEnd(.idleTimeout, "no audio from the provider for \(limitNanos / 1_000_000_000) s"))
    }

    /// Ends the call with its one reason (later calls change nothing): the agent is stopped and the
    /// media thread asked to let go; its `.retired` announcement completes the call.
    func end(_ end: CallEnd) {
        guard !ended else { return }
        ended = true
        endedBy = end
        live.advance(to: .ending)
        hangUp = nil
        agent.stop()
        thread.detach(pipeline)
        finishIfRetired()
    }

    /// Files the report and releases everything once the media thread retired the call. The report
    /// comes first, so whoever sees the call gone from the registry also sees it counted as ended.
    private func finishIfRetired() {
        guard let endedBy, pipeline.isRetired else { return }
        let report = CallReport(session: self, end: endedBy, bargeIns: bargeIn.count)
        report.file(stats: environment.stats, logger: logger)
        if let tap = pipeline.recording { environment.recordings?.close(tap) }
        if environment.records != nil || environment.webhooks != nil {
            let ended = report.endedCall(server: environment.serverID)
            environment.records?.record(ended)
            environment.webhooks?.send(.ended(ended))
        }
        loopCalls.remove(record.callID)
        live.advance(to: .ended)
        let active = environment.registry.remove(record.callID)
        environment.admission.release()
        logger.info("call unregistered \(record.callID) (duration=\(String(format: "%.1f", report.seconds))s, reason=\(endedBy.reason)). Active calls: \(active)/\(environment.admission.maxCalls)")
    }
}
