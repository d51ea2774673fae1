import Logging
import MediaGraph
import NIOCore
import NIOSSL
import NIOWebSocket

/// A call's link to the user's own bot: voiced dials the profile's URL for every call and speaks
/// `voiced.v1` (docs/bot-protocol.md) or Twilio Media Streams to it.
///
/// - Opening: `voiced.v1` sends `start` (call ids, provider, parameters, the offered format) and waits
///   for the bot's `accept` (within the connect timeout); Twilio sends `connected` and `start`.
///   Caller audio from before that waits, up to 2 s.
/// - Caller audio, speech started/stopped and DTMF go to the bot as they happen.
/// - Bot speech (any chunk size) goes to the call's agent queue, per utterance; a full queue pauses
///   the socket. A bot's `mark` comes back `played` once the audio before it has played at the
///   provider, or `cleared` when a barge-in or the bot's own `clear` dropped it — never played
///   when it was not. An interruption is reported as `interrupted` with the heard milliseconds.
/// - `hangup` ends the call once queued speech has played; `transfer` is logged (no provider voiced
///   serves can transfer over a media socket); `error` is logged.
/// - Faults as for every agent: unreachable → apology tone and end; lost mid-call → one reconnect
///   (the opening sent again); garbage and unknown messages counted, logged and ignored.
///
/// - Threading: the call's event loop (see ``AgentConnector``).
/// - Ownership: owns its ``AgentLink``; shares the server's TLS context.
final class BotAgent: AgentConnector, AgentLink.Owner, CustomStringConvertible {
    let audio: AgentAudio
    let interruptible = true
    private let settings: BotSettings
    private let dialect: BotDialect
    private let link: AgentLink
    private var call: AgentCall?
    private weak var sink: AgentSink?
    private var problems = AgentProblems()

    /// The utterance bot audio belongs to now, and how many bytes of it the call has taken.
    private var utterance = ""
    private var utteranceCount = 0
    private var utteranceBytes = 0
    /// Utterance id → its order, so marks of older utterances count as played.
    private var utteranceOrder: [String: Int] = [:]
    /// Marks the bot sent that are not yet played: its utterance's order and the position (ms).
    private var marks: [(name: String, order: Int, atMs: Int)] = []
    /// What the provider has played so far: the utterance order and ms into it.
    private var playedOrder = -1
    private var playedMs = 0

    private static let maxMessageBytes = 4 << 20

    init(settings: BotSettings, tls: NIOSSLContext?) {
        self.settings = settings
        dialect = settings.dialect == .twilio ? TwilioBotDialect() : VoicedBotDialect()
        link = AgentLink(target: .init(url: settings.url, headers: settings.bearerToken.map { [("Authorization", "Bearer \($0)")] } ?? [],
                                       subprotocol: dialect.subprotocol, timeout: settings.connectTimeout,
                                       maxMessageBytes: Self.maxMessageBytes, noun: "bot"),
                         tls: tls)
        audio = AgentAudio(hears: settings.format, speaks: settings.format)
        newUtterance(id: nil)
    }

    var description: String { "ws(\(settings.dialect.rawValue))" }

    // MARK: AgentConnector

    func start(_ call: AgentCall, sink: AgentSink) {
        self.call = call
        self.sink = sink
        link.open(call, sink: sink, owner: self)
    }

    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        guard !link.hold(frames), let socket = link.socketForCallerAudio() else { return }
        send(dialect.callerAudio(frames, allocator: socket.channel.allocator), on: socket)
    }

    func graphEvent(_ event: MediaEvent) {
        switch event {
        case let .speechStarted(ms): notify(.speechStarted(mediaMs: ms))
        case let .speechStopped(ms): notify(.speechStopped(mediaMs: ms))
        case let .node(nodeEvent): notify(.node(nodeEvent))
        case .bargeIn: break
        }
    }

    func interrupted(item: String, heardMs: Int) {
        notify(.interrupted(utterance: item, heardMs: heardMs))
        dropUnplayed()
    }

    func played(item: String, ms: Int) {
        guard let order = utteranceOrder[item] else { return }
        playedOrder = order
        playedMs = ms
        echoPlayedMarks()
    }

    func resumeSpeaking() {
        link.resumeSpeaking()
    }

    func dtmf(_ digit: String) { notify(.dtmf(digit: digit)) }

    func stop() {
        sink = nil
        link.close(sending: dialect.closing())
    }

    // MARK: AgentLink.Owner

    func agentLinkOpened(_ socket: AgentSocket) -> Bool {
        guard let call else { return false }
        for text in dialect.opening(call, format: settings.format) { socket.send(text: socket.channel.allocator.buffer(string: text)) }
        guard dialect.needsAccept else { return true }
        call.eventLoop.scheduleTask(in: TimeAmount(settings.connectTimeout)) { [weak self] in
            guard let self, !self.link.isReady, self.link.socket === socket else { return }
            self.link.fail("the bot sent no 'accept' within \(self.settings.connectTimeout)")
        }
        return false
    }

    func agentLinkSendEarly(_ frames: UnsafeRawBufferPointer, on socket: AgentSocket) {
        send(dialect.callerAudio(frames, allocator: socket.channel.allocator), on: socket)
    }

    // MARK: Bot messages

    func agentLink(text: ByteBuffer) {
        text.withUnsafeReadableBytes { bytes in
            do {
                handle(try dialect.parse(text: bytes))
            } catch {
                problems.report("bot message ignored: \(error)", call: call)
            }
        }
    }

    func agentLink(binary: ByteBuffer) {
        binary.withUnsafeReadableBytes { bytes in
            do {
                handle(try dialect.parse(binary: bytes))
            } catch {
                problems.report("bot binary message ignored: \(error)", call: call)
            }
        }
    }

    private func handle(_ message: BotMessage) {
        guard let sink, let call else { return }
        switch message {
        case let .accept(input, output, jsonAudio):
            guard input == settings.format, output == settings.format else {
                return link.fail("the bot chose \(input) / \(output); voiced offered \(settings.format)")
            }
            dialect.accepted(jsonAudio: jsonAudio)
            link.ready()
        case let .audio(bytes, base64, id):
            guard link.isReady else { return problems.report("bot audio before 'accept' ignored", call: call) }
            if let id, id != utterance { newUtterance(id: id) }
            speak(bytes, base64: base64)
        case let .utterance(id):
            if id != utterance { newUtterance(id: id) }
        case let .utteranceDone(id):
            guard id == utterance else { return }
            finishUtterance()
        case let .mark(name):
            // A Twilio bot's mark also closes what it said before (its tail is padded and played).
            if settings.dialect == .twilio, utteranceBytes > 0 { finishUtterance() }
            mark(name)
        case .clear:
            sink.agentCleared()
            dropUnplayed()
        case let .hangup(reason):
            sink.agentHungUp(reason.isEmpty ? "the bot hung up" : String(reason.prefix(200)))
        case let .transfer(to):
            call.logger.warning("bot asked to transfer the call; not possible on this provider's media socket, ignored",
                                metadata: ["to": .wire(to)])
        case let .error(message):
            call.stats.agentErrors.wrappingIncrement(ordering: .relaxed)
            problems.report("bot error: \(message.prefix(300))", call: call)
        case .ignored:
            break
        case let .unknown(type):
            call.stats.agentUnknownEvents.wrappingIncrement(ordering: .relaxed)
            problems.report("unknown bot message ignored: \(type.prefix(100))", call: call)
        }
    }

    /// Offers bot audio to the call (the link holds what does not fit, with the socket paused).
    private func speak(_ bytes: UnsafeRawBufferPointer, base64: Bool) {
        if base64 {
            utteranceBytes += Base64.decodedCount(bytes)
            link.speak(base64: bytes, item: utterance)
        } else {
            utteranceBytes += bytes.count
            link.speak(bytes, item: utterance)
        }
    }

    private func finishUtterance() {
        link.finishSpeaking(item: utterance)
        newUtterance(id: nil)
    }

    /// Audio from now on belongs to `id` (nil: the next implicit one, `bot-N`).
    private func newUtterance(id: String?) {
        utteranceCount += 1
        utterance = id ?? "bot-\(utteranceCount)"
        utteranceBytes = 0
        utteranceOrder[utterance] = utteranceCount
        if utteranceOrder.count > 64, let oldest = utteranceOrder.min(by: { $0.value < $1.value })?.key { utteranceOrder[oldest] = nil }
    }

    /// Records a mark at the end of what the bot has said so far; it comes back once that played.
    private func mark(_ name: String) {
        let bytesPerMs = settings.format.bytesPerFrame / AudioFormat.frameDurationMs
        marks.append((name, utteranceCount, (utteranceBytes + bytesPerMs - 1) / bytesPerMs))
        if marks.count > 1000 { marks.removeFirst() }
        echoPlayedMarks()
    }

    /// Echoes, in order, every mark whose audio has played (all of them once nothing of the bot's is
    /// queued or playing any more).
    private func echoPlayedMarks() {
        let drained = !(sink?.agentAudioPending ?? true)
        while let first = marks.first,
              drained || first.order < playedOrder || (first.order == playedOrder && first.atMs <= playedMs) {
            marks.removeFirst()
            notify(.mark(name: first.name, played: true))
        }
    }

    /// The bot's audio not yet played was dropped: its pending marks come back cleared.
    private func dropUnplayed() {
        link.dropSpeech()
        for mark in marks { notify(.mark(name: mark.name, played: false)) }
        marks = []
        newUtterance(id: nil)
    }

    // MARK: Sending

    private func notify(_ notice: BotNotice) {
        guard link.isReady, let text = dialect.notice(notice) else { return }
        link.send(text: text)
    }

    private func send(_ message: WebSocketMessage, on socket: AgentSocket) {
        if message.isText { socket.send(text: message.data) } else { socket.send(binary: message.data) }
    }
}
