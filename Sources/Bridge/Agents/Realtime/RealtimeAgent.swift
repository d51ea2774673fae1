import Logging
import MediaGraph
import NIOCore
import NIOSSL
import NIOWebSocket

/// A call's session with a Realtime agent — OpenAI's Realtime API (GA), Azure OpenAI, or Azure AI
/// Voice Live — over one WebSocket on the call's event loop (docs/agents.md has the wire facts).
///
/// - Connect: `session.update` as soon as the socket is up (formats, voice, instructions, turn
///   detection); caller audio from before that waits, up to 2 s.
/// - Caller audio: each 20 ms frame goes out at once as `input_audio_buffer.append`.
/// - Agent speech: deltas go to the call's agent queue; when it is full the socket stops being read
///   (back-pressure) until the call has room, so a 30 s burst is neither dropped nor held in memory.
///   `…audio.done` lets the call pad and play the tail.
/// - Barge-in: the agent's `speech_started` is a trigger; on an interruption voiced sends
///   `response.cancel` (unless the server cancels by itself: `interrupt_response`), drops late
///   deltas of that response, and truncates the item at what the caller heard.
/// - Faults: a connection that cannot be made (refused, TLS, timeout) fails the call; one that
///   drops mid-call is made again once, with the session re-sent; garbage, unknown events and
///   `error` events are counted and logged (the first few), and the session goes on.
///
/// - Threading: the call's event loop (see ``AgentConnector``).
/// - Ownership: owns its ``AgentLink``; shares the server's TLS context.
final class RealtimeAgent: AgentConnector, AgentLink.Owner, CustomStringConvertible {
    let audio: AgentAudio
    let interruptible = true
    private let settings: RealtimeSettings
    private let outbound: RealtimeOutbound
    private let parser: RealtimeMessageParser
    private let link: AgentLink
    private var call: AgentCall?
    private weak var sink: AgentSink?

    /// The response streaming now, and whether the server cancelled it itself (its VAD heard the caller).
    private var activeResponse: String?
    private var serverCancelled = false
    /// Responses voiced interrupted: their late deltas are dropped.
    private var cancelledResponses: [String] = []
    private var problems = AgentProblems()

    /// Largest message accepted from the agent (a delta is a few KB; the API's own cap is 15 MiB).
    static let maxMessageBytes = 16 << 20

    init(settings: RealtimeSettings, tls: NIOSSLContext?) {
        self.settings = settings
        link = AgentLink(target: .init(url: settings.resolvedURL, headers: [settings.authorizationHeader], subprotocol: nil,
                                       timeout: settings.connectTimeout, maxMessageBytes: Self.maxMessageBytes, noun: "agent"),
                         tls: tls)
        outbound = RealtimeOutbound(settings: settings)
        parser = RealtimeMessageParser(dialect: settings.dialect)
        switch settings.audio {
        case .mulaw: audio = AgentAudio(hears: .telephonyMuLaw, speaks: .telephonyMuLaw)
        case .pcm24: audio = .pcm(rateHz: 24000)
        }
    }

    var description: String { "openai(\(settings.dialect.rawValue))" }

    // MARK: AgentConnector

    func start(_ call: AgentCall, sink: AgentSink) {
        self.call = call
        self.sink = sink
        link.open(call, sink: sink, owner: self)
    }

    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        guard !link.hold(frames), let socket = link.socketForCallerAudio() else { return }
        socket.send(text: outbound.append(frames, allocator: socket.channel.allocator))
    }

    func graphEvent(_ event: MediaEvent) {}

    func interrupted(item: String, heardMs: Int) {
        guard let socket = link.socket else { return }
        if let response = activeResponse {
            if !serverCancelled { socket.send(text: socket.channel.allocator.buffer(string: outbound.cancel(response))) }
            cancelledResponses.append(response)
            if cancelledResponses.count > 8 { cancelledResponses.removeFirst() }
            activeResponse = nil
        }
        link.dropSpeech()
        socket.send(text: socket.channel.allocator.buffer(string: outbound.truncate(item: item, audioEndMs: heardMs)))
        call?.logger.debug("agent interrupted", metadata: ["item": .wire(item), "audio_end_ms": "\(heardMs)"])
    }

    func resumeSpeaking() {
        link.resumeSpeaking()
    }

    func dtmf(_ digit: String) {}

    func stop() {
        sink = nil
        link.close()
    }

    // MARK: AgentLink.Owner

    func agentLinkOpened(_ socket: AgentSocket) -> Bool {
        socket.send(text: socket.channel.allocator.buffer(string: outbound.sessionUpdate()))
        return true
    }

    func agentLinkSendEarly(_ frames: UnsafeRawBufferPointer, on socket: AgentSocket) {
        socket.send(text: outbound.append(frames, allocator: socket.channel.allocator))
    }

    func agentLinkLost() {
        activeResponse = nil
    }

    // MARK: Agent events

    func agentLink(binary: ByteBuffer) {
        problems.report("binary message ignored (the Realtime API speaks text)", call: call)
    }

    func agentLink(text: ByteBuffer) {
        text.withUnsafeReadableBytes { bytes in
            do {
                handle(try parser.parse(bytes))
            } catch {
                problems.report("agent message ignored: \(error)", call: call)
            }
        }
    }

    private func handle(_ event: RealtimeEvent) {
        guard let sink, let call else { return }
        switch event {
        case let .audioDelta(responseID, itemID, base64):
            guard !cancelledResponses.contains(responseID) else {
                call.stats.agentLateAudioDropped.wrappingIncrement(ordering: .relaxed)
                return
            }
            link.speak(base64: base64, item: itemID)
        case let .audioDone(responseID, itemID):
            guard !cancelledResponses.contains(responseID) else { return }
            link.finishSpeaking(item: itemID)
        case .speechStarted:
            if activeResponse != nil, settings.turnDetection.interruptResponse { serverCancelled = true }
            sink.agentHeardCaller()
        case let .responseCreated(id):
            activeResponse = id
            serverCancelled = false
        case let .responseDone(id, status):
            if activeResponse == id { activeResponse = nil }
            call.logger.debug("agent response done", metadata: ["response": .wire(id), "status": .wire(status)])
        case let .transcript(fromAgent, text):
            call.stats.agentTranscripts.wrappingIncrement(ordering: .relaxed)
            call.logger.debug(fromAgent ? "agent said" : "caller said", metadata: ["transcript": .wire(text, limit: 500)])
        case let .error(code, message):
            call.stats.agentErrors.wrappingIncrement(ordering: .relaxed)
            // Expected races: a cancel after the server cancelled by itself.
            if code == "response_cancel_not_active" {
                call.logger.debug("agent error (expected)", metadata: ["code": .wire(code)])
            } else {
                problems.report("agent error \(code): \(message.prefix(300))", call: call)
            }
        case .sessionCreated, .speechStopped, .ignored:
            break
        case .sessionUpdated:
            call.logger.debug("agent session updated")
        case let .unknown(type):
            call.stats.agentUnknownEvents.wrappingIncrement(ordering: .relaxed)
            problems.report("unknown agent event ignored: \(type.prefix(100))", call: call)
        }
    }
}
