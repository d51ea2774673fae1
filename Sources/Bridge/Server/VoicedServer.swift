import Foundation
import Logging
import MediaGraph
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The daemon's network side: one port serving provider WebSockets (`/twilio`, `/exotel`, `/acs`,
/// `/telnyx`, `/vonage`, `/plivo`: ``ProviderEndpoint/all``) and the control plane (`/health`,
/// `/ready`, `/stats`). At most ``CallAdmission/maxCalls`` calls at once; ``drain(timeout:)``
/// stops taking calls and lets those in progress finish.
///
/// - Threading: `start`/`stop` may be called from any thread (not a media thread); connections run on
///   the NIO event loops; calls run on the ``MediaThreadPool``.
/// - Ownership: owns the event loop group, the media threads, the registry and the stats.
public final class VoicedServer: @unchecked Sendable {
    // @unchecked Sendable: `channel` is set once by start() before it returns and read after.

    /// Everything `voiced serve` can set.
    public struct Configuration: Sendable {
        /// Address to bind: default `0.0.0.0`.
        public var host: String = "0.0.0.0"
        /// TCP port: default 8080; 0 picks a free one (see ``VoicedServer/port``).
        public var port: Int = 8080
        /// The agent profile calls talk to unless they name another: default `demo`.
        public var agent: String = "demo"
        /// Named agent profiles besides the built-in `echo` and `demo` (from the configuration file
        /// or `--agent` flags); a name here replaces a built-in one.
        public var agentProfiles: [String: AgentProfile] = [:]
        /// The graph every call runs unless it names another: default `standard` (the demo needs its
        /// VAD; every agent gains echo cancellation).
        public var graph: GraphSpec = .standard
        /// Graphs a call may name (`<Parameter name="graph" value="NAME"/>`) besides the presets; a
        /// name here replaces a preset. A call can never write out a spec of its own.
        public var graphs: [String: GraphSpec] = [:]
        /// The graph a call runs, unless it names one, by its agent profile or provider route.
        public var graphRoutes = GraphRoutes()
        /// The nodes graphs are built from: the built-in ones, plus any an extension registered
        /// (`voiced` adds the example nodes; docs/writing-a-node.md).
        public var nodes: NodeCatalog = .builtIn
        /// Calls at once; past it a media upgrade is answered 503 and `/ready` says 503. Default
        /// (nil): what the media threads' budgets hold of the default graph (``defaultMaxCalls``).
        public var maxCalls: Int?
        /// Media threads: default one per core.
        public var mediaThreads: Int = System.coreCount
        /// NIO event loops for sockets: default one per core.
        public var ioThreads: Int = System.coreCount
        /// Largest WebSocket message accepted: default 64 KiB (a Twilio frame is far smaller).
        public var maxMessageBytes: Int = 1 << 16
        /// Calls per media thread and when they batch (see ``MediaThread/Configuration``).
        public var mediaThread = MediaThread.Configuration()
        /// Ring sizes and gap cap per call.
        public var call = CallPipeline.Configuration()
        /// Timeouts and the real-time cap on provider audio.
        public var limits = ConnectionLimits()
        /// Providers' secrets and the public URL (docs/security.md).
        public var security = ProviderSecurity()
        /// Where ended calls are written, one row each (docs/operations.md): an SQLite file, or a
        /// `postgres://` URL for a database a fleet shares; nil: no records. `voiced serve` defaults
        /// to `voiced-calls.sqlite` in the working directory.
        public var records: String?
        /// Stereo Ogg Opus recordings of every call or of calls that ask (docs/operations.md); nil: none.
        public var recordings: RecordingSettings?
        /// Where `call.started` and `call.ended` are POSTed, signed (docs/operations.md); nil: nowhere.
        public var webhooks: WebhookSettings?
        /// How often to hand heap memory freed by ended calls back to the kernel (``HeapTrimmer``):
        /// default 10 s; nil never.
        public var heapTrimInterval: TimeAmount? = .seconds(10)

        public init() {}
    }


    public let configuration: Configuration
    public let registry = CallRegistry()
    public let stats = BridgeStats()
    public let admission: CallAdmission
    /// Writes ended calls to the records; nil when records are off.
    public let records: CallRecordWriter?
    /// Writes call recordings; nil when recordings are off.
    public let recordings: RecordingWriter?
    /// This instance in the records: `host:pid`.
    public let serverID = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    public let pool: MediaThreadPool
    private let group: MultiThreadedEventLoopGroup
    private let loops: EventLoopCallsDirectory
    private let logger: Logger
    private let agents: AgentDirectory
    private let graphs: GraphDirectory
    private var channel: Channel?
    private var trimmer: HeapTrimmer?
    /// Delivers call events; made by `start` (it needs the event loops), nil when not configured.
    public private(set) var webhooks: WebhookSender?

    public init(configuration: Configuration, logger: Logger = Logger(label: "voiced")) throws {
        (agents, graphs) = try Self.prepare(configuration, logger: logger)
        admission = CallAdmission(maxCalls: try Self.maxCalls(configuration, agents: agents, graphs: graphs))
        do {
            records = try configuration.records.map { CallRecordWriter(store: try CallRecords.store(at: $0, logger: logger), logger: logger) }
        } catch {
            throw ServerError.badRecords("\(error)")
        }
        do {
            recordings = try configuration.recordings.map { try RecordingWriter(settings: $0, logger: logger) }
        } catch {
            throw ServerError.badRecordings("\(error)")
        }
        self.configuration = configuration
        self.logger = logger
        pool = try MediaThreadPool(count: configuration.mediaThreads, configuration: configuration.mediaThread)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.ioThreads))
        var loops: [EventLoopCalls] = []
        for loop in group.makeIterator() {
            let doorbell = try Doorbell(mediaThreads: pool.threads.count, callsPerThread: configuration.mediaThread.maxCalls)
            loops.append(EventLoopCalls(eventLoop: loop, doorbell: doorbell))
        }
        self.loops = EventLoopCallsDirectory(loops)
    }

    /// What `--max-calls` is unless set: as many calls of a graph costing `graphCost` as the media
    /// threads' instruction budgets hold (each thread at most its call table).
    public static func defaultMaxCalls(mediaThreads: Int, thread: MediaThread.Configuration, graphCost: Int) -> Int {
        max(1, mediaThreads * min(thread.maxCalls, thread.instructionBudget / max(1, graphCost)))
    }

    /// The agents and graphs `configuration` names, every graph built once for every agent, so one
    /// that cannot work stops the server (or `voiced config check`), not every call; what each costs
    /// is kept for admission. Throws ``ServerError`` naming the agent or graph.
    static func prepare(_ configuration: Configuration, logger: Logger) throws -> (AgentDirectory, GraphDirectory) {
        let agents: AgentDirectory
        do {
            agents = try AgentDirectory(profiles: AgentDirectory.builtIn.merging(configuration.agentProfiles) { $1 },
                                        defaultName: configuration.agent, logger: logger)
        } catch {
            throw ServerError.badAgent(error.description)
        }
        // Build every graph once now for every agent, so one that cannot work stops the server, not
        // every call; what each costs is kept for admission.
        var graphs = try GraphDirectory(configured: configuration.graphs, defaultGraph: configuration.graph,
                                        routes: configuration.graphRoutes, nodes: configuration.nodes)
        for spec in graphs.all {
            do {
                for name in agents.profiles.keys.sorted() {
                    let audio = try agents.connector(named: name).audio
                    let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw, agent: audio, nodes: configuration.nodes)
                    // A graph of the operator's that no thread could ever hold would refuse every call
                    // (a preset that large is refused per call, as bad_graph).
                    let configured = spec.text == configuration.graph.text || configuration.graphs[spec.name]?.text == spec.text
                    guard !configured || graph.instructionsPerFrame <= configuration.mediaThread.instructionBudget else {
                        throw ServerError.graphOverBudget(name: spec.name, cost: graph.instructionsPerFrame,
                                                          budget: configuration.mediaThread.instructionBudget)
                    }
                    graphs.record(graph, spec: spec, audio: audio)
                }
            } catch let error as GraphBuildError {
                throw ServerError.badGraph(name: spec.name, error)
            }
        }
        return (agents, graphs)
    }

    /// Checks `configuration` as the server would start with it — every agent profile, every graph
    /// built for every agent, the budget — without opening a port or starting a thread. Returns what
    /// `--max-calls` comes to. Throws ``ServerError``.
    public static func check(_ configuration: Configuration) throws -> Int {
        let (agents, graphs) = try prepare(configuration, logger: Logger(label: "voiced-check"))
        return try maxCalls(configuration, agents: agents, graphs: graphs)
    }

    /// `--max-calls`, or what the media threads' budgets hold of the default graph.
    private static func maxCalls(_ configuration: Configuration, agents: AgentDirectory, graphs: GraphDirectory) throws -> Int {
        let defaultCost = try graphs.cost(of: configuration.graph, for: agents.connector(named: configuration.agent).audio,
                                          providerFormat: .telephonyMuLaw) ?? 1
        return configuration.maxCalls
            ?? defaultMaxCalls(mediaThreads: configuration.mediaThreads, thread: configuration.mediaThread, graphCost: defaultCost)
    }

    /// The bound port (useful with port 0). Nil before `start`.
    public var port: Int? { channel?.localAddress?.port }

    /// Binds and starts accepting connections.
    public func start() async throws {
        for calls in loops.all { try await calls.start(idleTimeout: configuration.limits.mediaIdle).get() }
        let fetcher = NIOHTTPFetcher(group: group, tls: agents.tls)
        let webhooks = configuration.webhooks.map { WebhookSender(settings: $0, fetcher: fetcher, logger: self.logger) }
        self.webhooks = webhooks
        let environment = CallEnvironment(
            registry: registry, stats: stats, admission: admission, pool: pool, loops: loops, graphs: graphs,
            callConfiguration: configuration.call, limits: configuration.limits, agents: agents,
            trustCallParameters: configuration.security.trustCallParameters, logger: logger, records: records,
            webhooks: webhooks, recordings: recordings, serverID: serverID)
        let maxMessageBytes = configuration.maxMessageBytes
        let gateways = GatewayContext(security: configuration.security, logger: logger, stats: stats, fetcher: fetcher,
                                      keySets: OpenIDKeySets(fetcher: fetcher, logger: logger))
        let routes = Routes(state: ServerState(registry: registry, stats: stats, pool: pool, admission: admission, records: records,
                                               webhooks: webhooks, recordings: recordings, serverID: serverID),
                            gateways: gateways)
        if configuration.security.skipAuthentication {
            logger.warning("provider authentication is OFF (--insecure-skip-auth): anyone can open calls and choose their graph and agent")
        }
        let (limits, stats, admission, logger) = (configuration.limits, stats, admission, logger)
        let tally = ConnectionTally(limits: limits, stats: stats, logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard tally.admit(channel) else { return channel.eventLoop.makeSucceededVoidFuture() }
                let gate = UpgradeGate()
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxMessageBytes,
                    automaticErrorHandling: true,
                    shouldUpgrade: { channel, head in
                        // A refused upgrade goes on as a plain request, which the HTTP handler answers with
                        // the gate's refusal: 503 at capacity or draining, 403 for failed authentication.
                        guard let endpoint = ProviderEndpoint.matching(head.uri) else { return channel.eventLoop.makeSucceededFuture(nil) }
                        if let refusal = admission.refusal(mediaSocketsOpen: stats.connectionsOpen.load(ordering: .relaxed)) {
                            stats.refused(refusal)
                            stats.ended(provider: endpoint.provider, refusal == .draining ? .shutdown : .overCapacity)
                            logger.warning("media upgrade refused", metadata: [
                                "provider": "\(endpoint.provider)", "reason": "\(refusal)", "max_calls": "\(admission.maxCalls)",
                            ])
                            gate.refusal = .unavailable(refusal)
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                        let request = HTTPRequest(method: head.method, uri: head.uri, headers: head.headers, remoteAddress: channel.remoteAddress)
                        return endpoint.gateway.authenticateUpgrade(request, gateways, on: channel.eventLoop).map { authentication -> HTTPHeaders? in
                            gate.authentication = authentication
                            if case let .refused(reason) = authentication {
                                stats.ended(provider: endpoint.provider, .authFailed)
                                gate.refusal = gateways.refuse(request, provider: endpoint.provider, reason: reason)
                                return nil
                            }
                            return HTTPHeaders()
                        }
                    },
                    upgradePipelineHandler: { channel, head in
                        channel.eventLoop.makeCompletedFuture {
                            // shouldUpgrade let only provider paths through.
                            let endpoint = ProviderEndpoint.matching(head.uri)!
                            try channel.pipeline.syncOperations.addHandlers([
                                WebSocketFrameValidator(stats: environment.stats, logger: environment.logger),
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64,
                                    maxAccumulatedFrameSize: maxMessageBytes),
                                ProviderSocket(dialect: endpoint.makeDialect(head), verified: gate.authentication == .verified,
                                               environment: environment),
                            ])
                        }
                    })
                let deadlines = HTTPDeadlineHandler(limits: limits, stats: stats, logger: logger)
                let http = ControlHTTPHandler(routes: routes, gate: gate)
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(deadlines, promise: nil)
                        context.pipeline.syncOperations.removeHandler(http, promise: nil)
                    })
                ).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([deadlines, http])
                }
            }
        if let interval = configuration.heapTrimInterval {
            let trimmer = HeapTrimmer(stats: stats, logger: logger)
            trimmer.start(on: group.next(), every: interval)
            self.trimmer = trimmer
        }
        channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        logger.info("voiced listening", metadata: [
            "address": "\(channel?.localAddress?.description ?? "?")", "agent": "\(configuration.agent)",
            "graph": "\(configuration.graph.name)", "media_threads": "\(pool.threads.count)",
        ])
    }

    /// Drains: `/ready` turns 503 and new media upgrades are answered 503 at once; calls in progress
    /// go on until they end or `timeout` passes; those left are then hung up with reason
    /// `shutdown` (WebSocket close 1001) and their reports filed. Returns the calls hung up.
    @discardableResult
    public func drain(timeout: Duration) async -> Int {
        admission.beginDraining()
        logger.info("draining: no new calls", metadata: ["active_calls": "\(registry.count)", "drain_timeout": "\(timeout)"])
        let deadline = ContinuousClock.now + timeout
        while registry.count > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let left = registry.count
        guard left > 0 else { return 0 }
        logger.warning("drain timeout: hanging up the calls left", metadata: ["active_calls": "\(left)"])
        for calls in loops.all {
            calls.eventLoop.execute { calls.endAll(CallEnd(.shutdown, "the server is shutting down")) }
        }
        // Each call's media thread lets go within a frame or two; the reports follow.
        let filed = ContinuousClock.now + .seconds(5)
        let timer = group.next()
        while registry.count > 0, ContinuousClock.now < filed {
            // An event-loop timer, not Task.sleep: cancellation must not cut this short (the reports
            // are what a shutdown must not lose), and usleep would hold a cooperative thread.
            try? await timer.scheduleTask(in: .milliseconds(20)) {}.futureResult.get()
        }
        return left
    }

    /// Stops accepting, closes every connection (ending their calls), then stops the threads.
    public func stop() async throws {
        try? await channel?.close()
        trimmer?.stop()
        // Calls still open end as their sockets close below; their call.ended events are sent from
        // the event loops before those stop, then given a moment to go out.
        for calls in loops.all { calls.eventLoop.execute { calls.endAll(CallEnd(.shutdown, "the server stopped")) } }
        await webhooks?.finish(timeout: .seconds(5))
        for calls in loops.all { calls.eventLoop.execute { calls.stop() } }
        try await group.shutdownGracefully()
        pool.stop()
        recordings?.stop()
        await records?.close()
    }
}

/// Why the server cannot start.
public enum ServerError: Error, CustomStringConvertible {
    /// The default agent is unknown, or an agent cannot be set up.
    case badAgent(String)
    /// A configured graph (by name) cannot be built.
    case badGraph(name: String, GraphBuildError)
    /// A route (`[agents.NAME] graph`, `[providers.NAME] graph`) names a graph the server does not have.
    case unknownGraph(key: String, name: String, known: [String])
    /// A configured graph costs more than a whole media thread's budget.
    case graphOverBudget(name: String, cost: Int, budget: Int)
    /// The call records cannot be opened.
    case badRecords(String)
    /// The recordings directory cannot be made or written.
    case badRecordings(String)

    public var description: String {
        switch self {
        case let .badAgent(reason): "agent: \(reason)"
        case let .badGraph(name, error): "graph '\(name)': \(error)"
        case let .unknownGraph(key, name, known): "\(key): no graph named '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .graphOverBudget(name, cost, budget):
            "graph '\(name)' costs \(cost) instructions per frame, more than a media thread's whole budget (\(budget)): raise --media-thread-budget or simplify the graph"
        case let .badRecords(reason): "records: \(reason)"
        case let .badRecordings(reason): "recordings: \(reason)"
        }
    }
}
