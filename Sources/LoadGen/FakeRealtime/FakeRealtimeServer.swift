import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import NIOConcurrencyHelpers
/// A local stand-in for the OpenAI Realtime GA API or Azure Voice Live, on `127.0.0.1` (port 0),
/// speaking the wire facts of docs/agents.md: the upgrade checks (path, key, query), the server
/// speaking first with a full `session.created`, `session.update` validated per dialect, audio
/// appends counted into an audio clock, responses streamed as audio deltas in the session's output
/// format, `response.cancel`, `conversation.item.truncate`, the recoverable `error` events with the
/// real codes, and the GA beta-header refusal (close 4000).
///
/// Tests drive voiced's `openai` connector against it over real sockets; `voiced loadgen
/// --fake-agent-port` uses it as a fake agent that answers each caller turn (``Behaviour/autoRespond``),
/// with appends counted rather than stored (``Behaviour/storesAppends``) and per-connection timing
/// traces (``Behaviour/tracing``, ``traces()``). Server-side actions
/// (``speechStarted(audioStartMs:)``, ``respond(audioMs:)``, ``close(code:)``, …) act on the newest
/// open connection; when none is open they do nothing.
///
/// ```swift
/// let fake = try await FakeRealtimeServer(dialect: .ga)
/// // connect to fake.url with `Authorization: Bearer test-key`
/// _ = try await fake.waitFor("session.update")
/// await fake.respond(audioMs: 1000)
/// try await fake.stop()
/// ```
///
/// - Threading: every member may be called from any thread or task. Each connection runs on one
///   event loop of the server's group (one loop unless ``Behaviour/eventLoopThreads`` says more);
///   actions hop onto the newest connection's loop.
/// - Ownership: owns its event loop group and every connection; ``stop()`` closes them and must be
///   called before the last reference goes.
/// - Realtime: unsafe (allocates, locks, parses JSON); never on a media thread.
public final class FakeRealtimeServer: Sendable {
    /// Which service the fake plays.
    public enum Dialect: Sendable {
        /// OpenAI Realtime GA (also Azure OpenAI GA on `/openai/v1/realtime`).
        case ga
        /// Azure AI Voice Live (beta-shaped events).
        case voiceLive
    }

    /// How the fake behaves, beyond the protocol.
    public struct Behaviour: Sendable {
        /// The key a client must present: default `"test-key"`. GA: `Authorization: Bearer <key>` on
        /// `/v1/realtime`, `api-key: <key>` (or Bearer) on `/openai/v1/realtime`; Voice Live: the
        /// `api-key` header (or query, or Bearer). Wrong or missing → HTTP 401, no upgrade.
        public var apiKey: String
        /// Answer every upgrade with HTTP 503: default false.
        public var refuseUpgrade: Bool
        /// Server VAD: run an energy VAD over appended audio and, for each caller turn (speech,
        /// then `silenceMs` of quiet), send `speech_started`, `speech_stopped`, `committed` and the
        /// user item, then start a response. Default false. Needs turn detection on in the session
        /// (it is by default); a response needs `create_response` (default true).
        public var autoRespond: Bool
        /// Quiet that ends a turn, in ms: default 500. The session's default `silence_duration_ms`;
        /// a `session.update` that sets it wins.
        public var silenceMs: Int
        /// Let speech starting while a response streams cancel it (`response.done` status
        /// `cancelled`, reason `turn_detected`), as `interrupt_response` does: default true. The
        /// session's `interrupt_response` must be true as well; false makes a server that never
        /// cancels by itself.
        public var interruptResponse: Bool
        /// Audio in each response started by the VAD or `response.create`, in ms: default 2000.
        public var responseAudioMs: Int
        /// Audio per delta, in ms: default 100.
        public var chunkMs: Int
        /// Pace of the deltas: 0 (default) sends them as fast as possible, like a TTS burst; 1 sends
        /// them in real time; 0.5 at twice real time.
        public var realtimeFactor: Double
        /// After a cancel (client or VAD), still send this many deltas of the cancelled response
        /// before its `response.done`, as real servers race: default 0.
        public var lateDeltasAfterCancel: Int
        /// Event loops serving connections: default 1 (one is plenty for tests; a load run with
        /// hundreds of callers may want more).
        public var eventLoopThreads: Int
        /// Keep every `input_audio_buffer.append` in ``FakeRealtimeServer/events()`` (so waits for
        /// appends work): default true. False, for load runs, only counts them
        /// (``FakeRealtimeServer/appendsReceived``) and reads a well-formed append without
        /// allocating; anything else still takes the full path, errors included.
        public var storesAppends: Bool
        /// Record per-connection load traces (``FakeRealtimeServer/traces()``): default nil (off).
        public var tracing: Tracing?

        public init(
            apiKey: String = "test-key", refuseUpgrade: Bool = false, autoRespond: Bool = false, silenceMs: Int = 500,
            interruptResponse: Bool = true, responseAudioMs: Int = 2000, chunkMs: Int = 100, realtimeFactor: Double = 0,
            lateDeltasAfterCancel: Int = 0, eventLoopThreads: Int = 1, storesAppends: Bool = true, tracing: Tracing? = nil
        ) {
            self.apiKey = apiKey
            self.refuseUpgrade = refuseUpgrade
            self.autoRespond = autoRespond
            self.silenceMs = silenceMs
            self.interruptResponse = interruptResponse
            self.responseAudioMs = responseAudioMs
            self.chunkMs = chunkMs
            self.realtimeFactor = realtimeFactor
            self.lateDeltasAfterCancel = lateDeltasAfterCancel
            self.eventLoopThreads = eventLoopThreads
            self.storesAppends = storesAppends
            self.tracing = tracing
        }
    }

    /// How a response the server started ended.
    public struct ResponseSummary: Sendable, Equatable {
        /// `resp_…`.
        public let responseID: String
        /// The assistant item, `item_…` (what `conversation.item.truncate` names).
        public let itemID: String
        /// `completed`, `cancelled`, or `closed` when the connection went away first.
        public let status: String
        /// Audio sent, in ms.
        public let audioMs: Int
        /// Audio deltas sent.
        public let deltas: Int
    }

    /// Why a wait failed.
    public enum WaitError: Error, CustomStringConvertible {
        /// Fewer than `count` events of `type` arrived in time; `seen` counts what did arrive.
        case timedOut(type: String, count: Int, seen: String)
        /// The server was stopped.
        case stopped

        public var description: String {
            switch self {
            case let .timedOut(type, count, seen): "timed out waiting for \(count) × '\(type)'; received: \(seen)"
            case .stopped: "the fake Realtime server was stopped"
            }
        }
    }

    public let dialect: Dialect
    public let behaviour: Behaviour
    /// The bound port.
    public let port: Int
    let hub: FakeRealtimeHub
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// Largest WebSocket message accepted: 16 MiB (an append may carry 15 MiB of base64).
    public static let maxMessageBytes = 16 << 20

    /// Binds `127.0.0.1` on `port` (default 0: a free one, see ``port``) and starts accepting.
    /// Throws when the port cannot be bound.
    public init(dialect: Dialect, behaviour: Behaviour = .init(), port: Int = 0) async throws {
        self.dialect = dialect
        self.behaviour = behaviour
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, behaviour.eventLoopThreads))
        let hub = FakeRealtimeHub()
        self.hub = hub
        let maxBytes = Self.maxMessageBytes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxBytes,
                    automaticErrorHandling: true,
                    shouldUpgrade: { channel, head in
                        guard case .accept = FakeRealtimeUpgrade.decide(head, dialect: dialect, behaviour: behaviour) else {
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                    },
                    upgradePipelineHandler: { channel, head in
                        channel.eventLoop.makeCompletedFuture {
                            guard case let .accept(setup) = FakeRealtimeUpgrade.decide(head, dialect: dialect, behaviour: behaviour) else {
                                throw ChannelError.inappropriateOperationForState
                            }
                            try channel.pipeline.syncOperations.addHandlers([
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxBytes),
                                FakeRealtimeConnection(
                                    number: hub.acceptConnection(), dialect: dialect, behaviour: behaviour, setup: setup, hub: hub),
                            ])
                        }
                    })
                let http = FakeRealtimeHTTPHandler(dialect: dialect, behaviour: behaviour, hub: hub)
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(http, promise: nil)
                    })
                ).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(http)
                }
            }
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        self.port = channel.localAddress?.port ?? 0
    }

    /// The endpoint a connector uses. GA: `ws://127.0.0.1:<port>/v1/realtime?model=gpt-realtime`;
    /// Voice Live: `ws://127.0.0.1:<port>/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime`.
    public var url: String {
        switch dialect {
        case .ga: "ws://127.0.0.1:\(port)/v1/realtime?model=gpt-realtime"
        case .voiceLive: "ws://127.0.0.1:\(port)/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime"
        }
    }

    /// GA only: the Azure OpenAI GA endpoint, `ws://127.0.0.1:<port>/openai/v1/realtime?model=gpt-realtime`
    /// (key in `api-key`).
    public var azureURL: String { "ws://127.0.0.1:\(port)/openai/v1/realtime?model=gpt-realtime" }

    /// Upgrades accepted so far.
    public var connectionCount: Int { hub.state.withLockedValue { $0.connectionCount } }
    /// Connections open now. One stops counting when the client's close frame arrives or the TCP
    /// connection ends, whichever is first; both reach the server a moment after the client acts.
    public var openConnections: Int { hub.state.withLockedValue { $0.open.count } }
    /// The HTTP status of every refused upgrade (401, 404, 400, 503, 426), oldest first.
    public var rejectedUpgrades: [Int] { hub.state.withLockedValue { $0.rejectedStatuses } }
    /// Client events dropped from the store (only the newest 100,000 are kept).
    public var eventsDropped: Int { hub.state.withLockedValue { $0.eventsDropped } }

    /// Every client event received on every connection, in arrival order (at most the newest 100,000).
    public func events() -> [ClientEvent] { hub.events }

    /// Waits until at least `count` client events of `type` have arrived (on any connection), and
    /// returns all of that type so far. Throws ``WaitError/timedOut(type:count:seen:)`` (listing
    /// what did arrive) after `timeout`, ``WaitError/stopped`` once the server stops, or
    /// `CancellationError`.
    public func waitFor(_ type: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws -> [ClientEvent] {
        if hub.state.withLockedValue({ $0.stopped }) { throw WaitError.stopped }
        let hub = hub
        let box = WaiterID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ClientEvent], Error>) in
                let (id, ready) = hub.addWaiter(type: type, count: count, continuation: continuation)
                if let ready {
                    continuation.resume(returning: ready)
                    return
                }
                box.id.withLockedValue { $0 = id }
                let (seconds, attoseconds) = timeout.components
                let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
                group.next().scheduleTask(in: .nanoseconds(nanos)) {
                    hub.removeWaiter(id)?.continuation.resume(throwing: WaitError.timedOut(type: type, count: count, seen: hub.summary))
                }
            }
        } onCancel: {
            if let id = box.id.withLockedValue({ $0 }) { hub.removeWaiter(id)?.continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Waits until `count` upgrades have been accepted and the newest has sent `session.created`.
    public func waitForConnection(count: Int = 1, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while hub.state.withLockedValue({ $0.connectionCount < count || $0.open.isEmpty }) {
            guard ContinuousClock.now < deadline else {
                throw WaitError.timedOut(type: "connection", count: count, seen: "\(connectionCount) connection(s)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: Server-side actions (newest open connection)

    /// Sends `input_audio_buffer.speech_started {audio_start_ms, item_id}`; `audioStartMs` defaults to
    /// the audio clock minus the prefix padding. Cancels a streaming response (reason
    /// `turn_detected`) when the session's `interrupt_response` and ``Behaviour/interruptResponse`` allow.
    public func speechStarted(audioStartMs: Int? = nil) {
        onNewest { c in
            c.startSpeech(audioStartMs: audioStartMs ?? max(0, c.audioClock - (c.turns?.prefixPaddingMs ?? 0)))
        }
    }

    /// Sends `input_audio_buffer.speech_stopped {audio_end_ms: <audio clock>, item_id}`, then commits
    /// the turn as the real server does (`input_audio_buffer.committed` and the user item). Starts
    /// no response: call ``respond(audioMs:)``.
    public func speechStopped() {
        onNewest { c in c.stopSpeech(audioEndMs: c.audioClock, respond: false) }
    }

    /// Streams a response of `audioMs` (default ``Behaviour/responseAudioMs``) in the session's output
    /// format: `response.created`, `rate_limits.updated`, `response.output_item.added`, the item and
    /// content part, deltas (audio and transcript), the `.done` events and `response.done`. Returns
    /// when `response.done` went out, with how it ended; nil when no connection is open or a
    /// response is already running (then nothing is sent).
    @discardableResult
    public func respond(audioMs: Int? = nil) async -> ResponseSummary? {
        guard let bound = hub.newest else { return nil }
        let ms = audioMs ?? behaviour.responseAudioMs
        let future = bound.eventLoop.flatSubmit { () -> EventLoopFuture<ResponseSummary?> in
            let c = bound.value
            guard let r = c.startResponse(audioMs: ms, audio: c.session.audioOut, metadata: .null) else {
                return bound.eventLoop.makeSucceededFuture(nil)
            }
            return r.promise.futureResult.map { Optional($0) }
        }
        return try? await future.get()
    }

    /// Sends a recoverable `error {type, code, message, param: null}` event.
    public func sendError(type: String = "invalid_request_error", code: String, message: String) {
        onNewest { c in c.sendError(FakeRealtimeError(type: type, code: code, message: message, param: nil), eventID: nil) }
    }

    /// Sends `text` as one text frame, whatever it is (garbage included).
    public func send(raw text: String) {
        onNewest { c in c.send(raw: text) }
    }

    /// Sends a close frame with `code` (and `reason`), then closes once the client answers or after 1 s.
    public func close(code: UInt16 = 1000, reason: String = "") {
        onNewest { c in c.close(code: code, reason: reason) }
    }

    /// Reads nothing from voiced for `duration` (its writes back up in TCP), then goes on.
    public func stall(for duration: TimeAmount) {
        onNewest { c in c.stall(for: duration) }
    }

    /// Closes the TCP connection without a close frame: an agent that vanished.
    public func drop() {
        onNewest { c in c.drop() }
    }

    /// Stops accepting, closes every connection and shuts the event loop down. Pending waits fail
    /// with ``WaitError/stopped``.
    public func stop() async throws {
        hub.stop(failing: WaitError.stopped)
        try? await channel.close()
        for bound in hub.allOpen {
            bound.eventLoop.execute { bound.value.drop() }
        }
        try await group.shutdownGracefully()
    }

    private func onNewest(_ body: @escaping @Sendable (FakeRealtimeConnection) -> Void) {
        guard let bound = hub.newest else { return }
        bound.eventLoop.execute { body(bound.value) }
    }
}

/// The id of a registered waiter, shared with the cancellation handler.
private final class WaiterID: Sendable {
    let id = NIOLockedValueBox<Int?>(nil)
}
