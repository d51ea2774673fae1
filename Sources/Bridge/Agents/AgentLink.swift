import Logging
import MediaGraph
import NIOCore
import NIOSSL
import NIOWebSocket

/// An agent connection with voiced's policy, for connectors that dial a WebSocket (openai, ws):
/// connect within the timeout; if it drops mid-call, connect once more (the owner opens the
/// conversation again); a connection that cannot be made, or a second loss, fails the call (the
/// sink plays an apology tone and ends it). Caller audio from before the conversation is open waits,
/// up to 2 s, and is handed back to the owner to encode when it is. Agent speech goes to the call
/// through ``speak(_:item:)``: what the call has no room for waits in an ``AgentSpeechQueue`` with
/// the socket paused (back-pressure) until ``resumeSpeaking()``.
///
/// - Threading: the call's event loop only.
/// - Ownership: owned by its connector; owns the ``AgentSocket``; holds the owner weakly.
final class AgentLink: AgentSocket.Delegate {
    /// The connector behind the link.
    protocol Owner: AnyObject {
        /// A connection is up: open the conversation (session, opening messages). Return whether
        /// audio may flow now (false: call ``ready()`` later, e.g. after the bot's `accept`).
        func agentLinkOpened(_ socket: AgentSocket) -> Bool
        /// Caller frames held while connecting, to encode and send now.
        func agentLinkSendEarly(_ frames: UnsafeRawBufferPointer, on socket: AgentSocket)
        /// The connection dropped: forget per-connection state (a reconnect follows). Default: nothing.
        func agentLinkLost()
        func agentLink(text: ByteBuffer)
        func agentLink(binary: ByteBuffer)
    }

    struct Target {
        var url: String
        var headers: [(String, String)]
        var subprotocol: String?
        var timeout: Duration
        var maxMessageBytes: Int
        /// What the far end is called in logs and errors ("agent", "bot").
        var noun: String
    }

    private let target: Target
    private let tls: NIOSSLContext?
    private weak var owner: Owner?
    private var call: AgentCall?
    private weak var sink: AgentSink?
    /// The connection, once up.
    private(set) var socket: AgentSocket?
    /// Whether the conversation is open (audio may flow).
    private(set) var isReady = false
    private var stopped = false
    private var reconnected = false
    private var early: [[UInt8]] = []
    /// Agent speech read but not yet taken by the call; the socket is paused while it is not empty.
    private var backlog = AgentSpeechQueue()
    /// Base64 agent speech is decoded here (grown to the largest message, bounded by the message cap).
    private var decoded: [UInt8] = []

    /// Caller audio kept while connecting: 2 s of 20 ms frames.
    private static let earlyFramesMax = 100

    init(target: Target, tls: NIOSSLContext?) {
        self.target = target
        self.tls = tls
    }

    /// Dials the far end for `call`.
    func open(_ call: AgentCall, sink: AgentSink, owner: Owner) {
        self.call = call
        self.sink = sink
        self.owner = owner
        connect()
    }

    /// Holds caller frames while the conversation is not open. Returns false when it is (send them).
    func hold(_ frames: UnsafeRawBufferPointer) -> Bool {
        guard !isReady else { return false }
        guard !stopped else { return true }
        if early.count == Self.earlyFramesMax { early.removeFirst() }
        early.append(Array(frames))
        return true
    }

    /// Where caller audio goes now: the open socket, or nil when the conversation is not open or the
    /// agent has stopped reading — its socket's buffers are full (NIO says not writable) — and then
    /// the frames are dropped and counted, so a stalled agent never makes voiced's memory grow.
    func socketForCallerAudio() -> AgentSocket? {
        guard let socket else { return nil }
        guard socket.channel.isWritable else {
            call?.stats.agentCallerAudioDropped.wrappingIncrement(ordering: .relaxed)
            return nil
        }
        return socket
    }

    /// The conversation is open: held caller audio goes out.
    func ready() {
        guard let socket, let owner else { return }
        isReady = true
        for frames in early { frames.withUnsafeBytes { owner.agentLinkSendEarly($0, on: socket) } }
        early = []
    }

    /// Sends `text` when connected.
    func send(text: String) {
        guard let socket else { return }
        socket.send(text: socket.channel.allocator.buffer(string: text))
    }

    /// Offers agent speech of utterance `item` to the call; what does not fit waits, with the
    /// socket paused.
    func speak(_ bytes: UnsafeRawBufferPointer, item: String) {
        guard let sink, backlog.speak(bytes, item: item, to: sink) else { return }
        socket?.pauseReading()
    }

    /// The same for base64 text (already checked to be well formed).
    func speak(base64: UnsafeRawBufferPointer, item: String) {
        let count = Base64.decodedCount(base64)
        if decoded.count < count { decoded = [UInt8](repeating: 0, count: count) }
        let n = decoded.withUnsafeMutableBytes { Base64.decode(base64, into: $0) } ?? 0
        decoded.withUnsafeBytes { speak(UnsafeRawBufferPointer(rebasing: $0[0..<n]), item: item) }
    }

    /// Utterance `item` is complete: the call hears so after what waits of it.
    func finishSpeaking(item: String) {
        guard let sink else { return }
        backlog.finish(item: item, to: sink)
    }

    /// The call has room again: offer what waits, and read the socket again once it is all taken.
    func resumeSpeaking() {
        guard let sink, !backlog.isEmpty, backlog.resume(sink) else { return }
        socket?.resumeReading()
    }

    /// The call flushed the agent's audio: forget what waits and read the socket again.
    func dropSpeech() {
        backlog.removeAll()
        socket?.resumeReading()
    }

    /// The far end cannot go on: the call fails with `reason`.
    func fail(_ reason: String) {
        stopped = true
        socket?.close()
        socket = nil
        sink?.agentFailed(reason)
    }

    /// The call ended: `closing` (if any) is sent, then the connection closes.
    func close(sending closing: String? = nil) {
        stopped = true
        if let closing { send(text: closing) }
        socket?.close()
        socket = nil
    }

    private func connect() {
        guard let call else { return }
        guard let endpoint = AgentSocket.Endpoint(url: target.url) else { return fail("\(target.noun) URL is not ws:// or wss://") }
        let started = MediaClock.nanos()
        AgentSocket.connect(to: endpoint, headers: target.headers, subprotocol: target.subprotocol, on: call.eventLoop, tls: tls,
                            timeout: target.timeout, maxMessageBytes: target.maxMessageBytes, delegate: self)
            .whenComplete { [self] result in
                switch result {
                case let .success(socket):
                    guard !stopped, let owner else { return socket.close() }
                    self.socket = socket
                    let took = MediaClock.nanos() - started
                    call.stats.timings.agentConnected(agent: call.profile, nanos: took)
                    call.logger.info("\(target.noun) connected", metadata: [
                        "url": "\(endpoint)", "connect_ms": "\(took / 1_000_000)",
                    ])
                    if owner.agentLinkOpened(socket) { ready() }
                case let .failure(error):
                    guard !stopped else { return }
                    fail("cannot reach the \(target.noun) at \(endpoint): \(error)")
                }
            }
    }

    // MARK: AgentSocket.Delegate

    func agentSocket(_ socket: AgentSocket, text: ByteBuffer) { owner?.agentLink(text: text) }

    func agentSocket(_ socket: AgentSocket, binary: ByteBuffer) { owner?.agentLink(binary: binary) }

    func agentSocketClosed(_ socket: AgentSocket, code: WebSocketErrorCode?, reason: String) {
        guard !stopped, socket === self.socket else { return }
        self.socket = nil
        isReady = false
        backlog.removeAll()
        owner?.agentLinkLost()
        guard !reconnected else { return fail("\(reason); it had already been reconnected once") }
        reconnected = true
        call?.stats.agentReconnects.wrappingIncrement(ordering: .relaxed)
        call?.logger.warning("\(target.noun) connection lost; reconnecting once", metadata: ["reason": .wire(reason, limit: 300)])
        connect()
    }
}

extension AgentLink.Owner {
    func agentLinkLost() {}
}
