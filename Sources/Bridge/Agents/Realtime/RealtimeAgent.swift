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
/// - Ownership: owns its ``AgentSocket``; shares the server's TLS context.
final class RealtimeAgent: AgentConnector, AgentSocket.Delegate, CustomStringConvertible {
    let audio: AgentAudio
    let interruptible = true
    private let settings: RealtimeSettings
    private let outbound: RealtimeOutbound
    private let parser: RealtimeMessageParser
    private let tls: NIOSSLContext?
    private var call: AgentCall?
    private weak var sink: AgentSink?
    private var socket: AgentSocket?
    private var stopped = false
    private var reconnected = false

    /// The response streaming now, and whether the server cancelled it itself (its VAD heard the caller).
    private var activeResponse: String?
    private var serverCancelled = false
    /// Responses voiced interrupted: their late deltas are dropped.
    private var cancelledResponses: [String] = []
    /// What the call had no room for yet; the socket is paused while it is not empty.
    private var backlog = AgentSpeechQueue()
    /// Caller audio from before the session was sent (bounded).
    private var early: [ByteBuffer] = []
    private var sessionSent = false
    private var decoded: [UInt8] = []
    private var problems = AgentProblems()

    /// Caller audio kept while connecting: 2 s of 20 ms frames.
    private static let earlyFramesMax = 100
    /// Largest message accepted from the agent (a delta is a few KB; the API's own cap is 15 MiB).
    static let maxMessageBytes = 16 << 20

    init(settings: RealtimeSettings, tls: NIOSSLContext?) {
        self.settings = settings
        self.tls = tls
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
        connect()
    }

    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        guard let socket, sessionSent else {
            guard !stopped else { return }
            if early.count == Self.earlyFramesMax { early.removeFirst() }
            early.append(outbound.append(frames, allocator: ByteBufferAllocator()))
            return
        }
        socket.send(text: outbound.append(frames, allocator: socket.channel.allocator))
    }

    func callerSpeech(_ event: MediaEvent) {}

    func interrupted(item: String, heardMs: Int) {
        guard let socket else { return }
        if let response = activeResponse {
            if !serverCancelled { socket.send(text: socket.channel.allocator.buffer(string: outbound.cancel(response))) }
            cancelledResponses.append(response)
            if cancelledResponses.count > 8 { cancelledResponses.removeFirst() }
            activeResponse = nil
        }
        backlog.removeAll()
        socket.resumeReading()
        socket.send(text: socket.channel.allocator.buffer(string: outbound.truncate(item: item, audioEndMs: heardMs)))
        call?.logger.debug("agent interrupted", metadata: ["item": "\(item)", "audio_end_ms": "\(heardMs)"])
    }

    func resumeSpeaking() {
        guard let sink, !backlog.isEmpty, backlog.resume(sink) else { return }
        socket?.resumeReading()
    }

    func dtmf(_ digit: String) {}

    func stop() {
        stopped = true
        sink = nil
        socket?.close()
        socket = nil
    }

    // MARK: Connection

    private func connect() {
        guard let call else { return }
        guard let endpoint = AgentSocket.Endpoint(url: settings.resolvedURL) else {
            fail("agent URL is not ws:// or wss://")
            return
        }
        let started = MediaClock.nanos()
        AgentSocket.connect(to: endpoint, headers: [settings.authorizationHeader], on: call.eventLoop, tls: tls,
                            timeout: settings.connectTimeout, maxMessageBytes: Self.maxMessageBytes, delegate: self)
            .whenComplete { [self] result in
                switch result {
                case let .success(socket):
                    guard !stopped else { return socket.close() }
                    self.socket = socket
                    socket.send(text: socket.channel.allocator.buffer(string: outbound.sessionUpdate()))
                    sessionSent = true
                    for message in early { socket.send(text: message) }
                    early = []
                    call.logger.info("agent connected", metadata: [
                        "agent": "\(settings)", "connect_ms": "\((MediaClock.nanos() - started) / 1_000_000)",
                    ])
                case let .failure(error):
                    guard !stopped else { return }
                    fail("cannot reach the agent at \(endpoint): \(error)")
                }
            }
    }

    func agentSocketClosed(_ socket: AgentSocket, code: WebSocketErrorCode?, reason: String) {
        guard !stopped, socket === self.socket else { return }
        self.socket = nil
        sessionSent = false
        activeResponse = nil
        backlog.removeAll()
        guard !reconnected else {
            fail("\(reason); it had already been reconnected once")
            return
        }
        reconnected = true
        call?.stats.agentReconnects.wrappingIncrement(ordering: .relaxed)
        call?.logger.warning("agent connection lost; reconnecting once", metadata: ["reason": "\(reason)"])
        connect()
    }

    private func fail(_ reason: String) {
        stopped = true
        socket?.close()
        socket = nil
        sink?.agentFailed(reason)
    }

    // MARK: Agent events

    func agentSocket(_ socket: AgentSocket, binary: ByteBuffer) {
        problems.report("binary message ignored (the Realtime API speaks text)", call: call)
    }

    func agentSocket(_ socket: AgentSocket, text: ByteBuffer) {
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
            speak(base64, item: itemID, sink: sink)
        case let .audioDone(responseID, itemID):
            guard !cancelledResponses.contains(responseID) else { return }
            backlog.finish(item: itemID, to: sink)
        case .speechStarted:
            if activeResponse != nil, settings.turnDetection.interruptResponse { serverCancelled = true }
            sink.agentHeardCaller()
        case let .responseCreated(id):
            activeResponse = id
            serverCancelled = false
        case let .responseDone(id, status):
            if activeResponse == id { activeResponse = nil }
            call.logger.debug("agent response done", metadata: ["response": "\(id)", "status": "\(status)"])
        case let .transcript(fromAgent, text):
            call.stats.agentTranscripts.wrappingIncrement(ordering: .relaxed)
            call.logger.debug(fromAgent ? "agent said" : "caller said", metadata: ["transcript": "\(text.prefix(500))"])
        case let .error(code, message):
            call.stats.agentErrors.wrappingIncrement(ordering: .relaxed)
            // Expected races: a cancel after the server cancelled by itself.
            if code == "response_cancel_not_active" {
                call.logger.debug("agent error (expected)", metadata: ["code": "\(code)"])
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

    /// Decodes a delta and offers it to the call; what does not fit waits, with the socket paused.
    private func speak(_ base64: UnsafeRawBufferPointer, item: String, sink: AgentSink) {
        let count = Base64.decodedCount(base64)
        if decoded.count < count { decoded = [UInt8](repeating: 0, count: count) }
        let n = decoded.withUnsafeMutableBytes { Base64.decode(base64, into: $0) } ?? 0
        let waiting = decoded.withUnsafeBytes { backlog.speak(UnsafeRawBufferPointer(rebasing: $0[0..<n]), item: item, to: sink) }
        if waiting { socket?.pauseReading() }
    }
}
