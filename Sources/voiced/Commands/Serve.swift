import ArgumentParser
import Bridge
import Foundation
import Logging
import MediaGraph
import NIOCore
import ServiceLifecycle

/// `voiced serve`: runs the daemon until SIGINT or SIGTERM, then drains (``DaemonService``).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the media server.",
        discussion: """
            Relays phone calls to a voice agent through a media graph. Serves provider
            WebSockets and the control plane on one port:
              /twilio /exotel /acs /telnyx /vonage /plivo   provider media streams
              /health    liveness (200 "ok")
              /ready     readiness: 503 while draining or at --max-calls
              /stats     live calls and counters (JSON)
              /metrics   Prometheus text format (docs/operations.md)
              /dashboard a live page: calls, latency, node costs, barge-ins

            Calls: at most --max-calls at once (past it a media upgrade gets 503);
            a call whose provider sends no audio for --idle-timeout ends (reason
            idle_timeout). SIGTERM or SIGINT drains: /ready turns 503, new calls get
            503, calls in progress finish for up to --drain-timeout, the rest are
            hung up (reason shutdown), then the daemon exits 0. Every ended call is
            written to --records (an SQLite file, or a PostgreSQL database a fleet
            shares; list them with voiced calls).

            Every flag can also be set from the environment (the flag wins):
            VOICED_HOST, VOICED_PORT, VOICED_AGENT, VOICED_CONFIG, VOICED_GRAPH,
            VOICED_DOWNLINK_LEAD_MS, VOICED_MEDIA_THREADS, VOICED_IO_THREADS,
            VOICED_MEDIA_THREAD_BUDGET, VOICED_MAX_CALLS, VOICED_IDLE_TIMEOUT,
            VOICED_DRAIN_TIMEOUT, VOICED_RECORDS, VOICED_RECORDINGS, VOICED_WEBHOOK_URL, VOICED_LOG_LEVEL,
            VOICED_LOG_FORMAT.

            A graph is a preset, a graph named in the config file's [graphs], or a
            spec 'uplink nodes; downlink nodes', each node with optional settings, e.g.
              --graph 'mulaw-decode, apm(ns=very-high), vad, barge-in; mulaw-encode'
            Every graph is built at start-up: a bad node, setting or format stops the
            daemon with the reason. A Twilio call can name its graph with
            <Parameter name="graph" value="NAME"/> (a preset or a [graphs] name, never
            a spec) and its agent with <Parameter name="agent" value="NAME"/>.

            Capacity: each graph has a cost per frame (docs/graphs.md); a call goes to
            the media thread with the most budget left and is refused (WebSocket close
            1013) when none has room for it. A call whose graph takes more than its
            per-frame time budget is ended. Timeouts and the real-time cap on provider
            audio: [limits] in the config file (docs/configuration.md).
            Nodes and settings: docs/nodes.md; presets, their delay and cost:
            docs/graphs.md; agents: docs/agents.md, docs/configuration.md.
            """)

    @Option(help: "Address to bind. (env: VOICED_HOST; default: 0.0.0.0)")
    var host: String?

    @Option(help: "TCP port; 0 picks a free one. (env: VOICED_PORT; default: 8080)")
    var port: Int?

    @Option(help: "Agent profile calls talk to unless they name another with <Parameter name=\"agent\">: demo (greets the caller and plays each thing they say back), echo (returns every caller frame; benchmarks), openai (the Realtime API, set up by the --agent-* flags and OPENAI_API_KEY), or a profile from --config. (env: VOICED_AGENT; default: the file's default_agent, else demo)")
    var agent: String?

    @Option(help: "TOML file with agent profiles ([agents.NAME]), default_agent, named graphs ([graphs]) and [limits]; see docs/configuration.md. Keys come from environment variables the file names. (env: VOICED_CONFIG)")
    var config: String?

    @Option(help: "--agent openai: the Realtime endpoint, wss:// (or ws:// for a local proxy). (default: wss://api.openai.com/v1/realtime)")
    var agentUrl: String?

    @Option(help: "--agent openai: the model (added to the URL's query). (default: gpt-realtime)")
    var agentModel: String?

    @Option(help: "--agent openai: the voice. (default: marin)")
    var agentVoice: String?

    @Option(help: "--agent openai: the system instructions.")
    var agentInstructions: String?

    @Option(help: "Graph every call runs unless it names another: a preset (\(GraphSpec.presets.keys.sorted().joined(separator: ", "))) or a spec 'uplink nodes; downlink nodes'. See docs/graphs.md. (env: VOICED_GRAPH; default: standard)")
    var graph: String?

    @Option(help: "Most agent audio sent to the provider ahead of real time, in ms: more absorbs network jitter, less makes barge-in cut the agent sooner at the provider. (env: VOICED_DOWNLINK_LEAD_MS; default: 100)")
    var downlinkLeadMs: Int?

    @Option(help: "Dedicated media threads. (env: VOICED_MEDIA_THREADS; default: one per core)")
    var mediaThreads: Int?

    @Option(help: "Socket (NIO event loop) threads. (env: VOICED_IO_THREADS; default: one per core)")
    var ioThreads: Int?

    @Option(help: "What the graphs of one media thread's calls may cost together, in instructions per 20 ms frame as docs/graphs.md counts them; calls beyond it are refused. (env: VOICED_MEDIA_THREAD_BUDGET; default: the config file's [limits] media_thread_budget, else 100000000: about 200 standard calls per thread)")
    var mediaThreadBudget: Int?

    @Option(help: "Calls at once; past it a new media upgrade is answered 503 and /ready says 503. (env: VOICED_MAX_CALLS; default: the config file's [limits] max_calls, else as many calls of the default graph as the media threads' budgets hold: media threads × media-thread budget ÷ the graph's cost, e.g. 128 standard calls per thread)")
    var maxCalls: Int?

    @Option(help: "Seconds without audio from the provider after which a call ends (reason idle_timeout). (env: VOICED_IDLE_TIMEOUT; default: the config file's [limits] media_idle_timeout_ms, else 30)")
    var idleTimeout: Int?

    @Option(help: "Seconds a drain (SIGTERM, SIGINT) lets calls in progress finish before hanging them up; match it to your load balancer's grace period. (env: VOICED_DRAIN_TIMEOUT; default: the config file's [limits] drain_timeout_ms, else 30)")
    var drainTimeout: Int?

    @Option(help: "Where every ended call is written, one row each (list them with voiced calls): an SQLite file, a postgres://user@host:5432/database URL (password from PGPASSWORD; ?sslmode=disable|prefer|require|verify-full), or 'off'. (env: VOICED_RECORDS; default: the config file's [records], else voiced-calls.sqlite in the working directory)")
    var records: String?

    @Option(help: "Directory for call recordings (stereo Ogg Opus: caller left, agent right). Only calls that ask with <Parameter name=\"record\" value=\"true\"/> are recorded, unless --record-all. (env: VOICED_RECORDINGS; default: the config file's [recordings] directory, else no recordings)")
    var recordings: String?

    @Flag(help: "Record every call (needs a recordings directory).")
    var recordAll = false

    @Option(help: "URL that call.started and call.ended events are POSTed to, signed with HMAC-SHA256 under the key in VOICED_WEBHOOK_SECRET (Voiced-Signature; docs/operations.md). (env: VOICED_WEBHOOK_URL; default: the config file's [webhooks], else none)")
    var webhookUrl: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. (env: VOICED_LOG_LEVEL; default: info)")
    var logLevel: String?

    @Option(help: "text (one line per event, key=value metadata) or json (one JSON object per line with ts, level, msg and every metadata key such as call.id and provider, for log shippers). Logs go to standard error. (env: VOICED_LOG_FORMAT; default: text)")
    var logFormat: String?

    @Option(help: "The public https:// base URL providers reach this server at: webhook answers point media streams there (as wss://) and signatures are checked against it. (env: VOICED_PUBLIC_URL; default: the config file's [providers] public_url, else each request's X-Forwarded-Proto/-Host or Host)")
    var publicUrl: String?

    @Flag(help: "Serve every provider request unchecked even where a secret is configured, and let every call pick its graph and agent. Logged as a warning at start-up; for local development only. (docs/security.md)")
    var insecureSkipAuth = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var config = VoicedServer.Configuration()
        config.nodes = NodeExtensions.catalog
        config.host = host ?? env["VOICED_HOST"] ?? config.host
        config.port = try port ?? Self.integer(env, "VOICED_PORT") ?? config.port
        let file = try configFile(env)
        config.records = "voiced-calls.sqlite"
        config.apply(file)
        try configureAgents(&config, file, env)
        config.security.publicURL = publicUrl ?? env["VOICED_PUBLIC_URL"] ?? config.security.publicURL
        if insecureSkipAuth {
            config.security.skipAuthentication = true
            config.security.trustCallParameters = true
        }
        do {
            let name = graph ?? env["VOICED_GRAPH"] ?? config.graph.name
            config.graph = try file.graphs[name] ?? GraphSpec.named(name)
        } catch {
            throw ValidationError("--graph: \(error)")
        }
        config.mediaThread.instructionBudget = try mediaThreadBudget ?? Self.integer(env, "VOICED_MEDIA_THREAD_BUDGET")
            ?? config.mediaThread.instructionBudget
        guard config.mediaThread.instructionBudget >= 1_000_000 else {
            throw ValidationError("--media-thread-budget must be at least 1000000, got \(config.mediaThread.instructionBudget)")
        }
        config.call.downlinkLeadMs = try downlinkLeadMs ?? Self.integer(env, "VOICED_DOWNLINK_LEAD_MS") ?? config.call.downlinkLeadMs
        guard (0...2000).contains(config.call.downlinkLeadMs) else {
            throw ValidationError("--downlink-lead-ms must be 0…2000, got \(config.call.downlinkLeadMs)")
        }
        config.mediaThreads = try mediaThreads ?? Self.integer(env, "VOICED_MEDIA_THREADS") ?? config.mediaThreads
        config.ioThreads = try ioThreads ?? Self.integer(env, "VOICED_IO_THREADS") ?? config.ioThreads
        config.maxCalls = try maxCalls ?? Self.integer(env, "VOICED_MAX_CALLS") ?? config.maxCalls
        if let calls = config.maxCalls, calls < 1 { throw ValidationError("--max-calls must be at least 1, got \(calls)") }
        if let seconds = try idleTimeout ?? Self.integer(env, "VOICED_IDLE_TIMEOUT") {
            guard (1...86_400).contains(seconds) else { throw ValidationError("--idle-timeout must be 1…86400 seconds, got \(seconds)") }
            config.limits.mediaIdle = .seconds(Int64(seconds))
        }
        let drainSeconds = try drainTimeout ?? Self.integer(env, "VOICED_DRAIN_TIMEOUT")
        guard (0...86_400).contains(drainSeconds ?? 0) else { throw ValidationError("--drain-timeout must be 0…86400 seconds, got \(drainSeconds!)") }
        let drain = drainSeconds.map { Duration.seconds($0) } ?? file.drainTimeout ?? .seconds(30)
        if let path = records ?? env["VOICED_RECORDS"] { config.records = path == "off" ? nil : path }
        if let directory = recordings ?? env["VOICED_RECORDINGS"] { config.recordings = RecordingSettings(directory: directory) }
        if recordAll {
            guard config.recordings != nil else { throw ValidationError("--record-all needs a recordings directory (--recordings DIR)") }
            config.recordings?.recordAll = true
        }
        if let url = webhookUrl ?? env["VOICED_WEBHOOK_URL"] {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else { throw ValidationError("--webhook-url must be an http:// or https:// URL, got '\(url)'") }
            guard let secret = env["VOICED_WEBHOOK_SECRET"] ?? file.webhooks?.secret, !secret.isEmpty else {
                throw ValidationError("--webhook-url needs the signing key in the environment variable VOICED_WEBHOOK_SECRET")
            }
            config.webhooks = WebhookSettings(url: url, secret: secret)
        }
        guard (0...65535).contains(config.port) else { throw ValidationError("--port must be 0…65535, got \(config.port)") }
        guard config.mediaThreads >= 1, config.ioThreads >= 1 else { throw ValidationError("thread counts must be at least 1") }
        let levelName = logLevel ?? env["VOICED_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else { throw ValidationError("unknown log level '\(levelName)'") }

        let format = logFormat ?? env["VOICED_LOG_FORMAT"] ?? "text"
        switch format {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        default:
            throw ValidationError("--log-format must be text or json, got '\(format)'")
        }
        FileDescriptorLimit.raiseToHardLimit()
        let logger = Logger(label: "voiced")
        let server = try VoicedServer(configuration: config, logger: logger)
        try await server.start()
        if let port = server.port {
            // Scripts read the bound port (useful with --port 0) from this line: write it unbuffered.
            FileHandle.standardOutput.write(Data("voiced listening on \(config.host):\(port)\n".utf8))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [DaemonService(server: server, drainTimeout: drain, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The --config file, or an empty one.
    private func configFile(_ env: [String: String]) throws -> ConfigFile {
        guard let path = config ?? env["VOICED_CONFIG"] else { return ConfigFile() }
        do {
            return try ConfigFile.load(path: path, environment: env)
        } catch {
            throw ValidationError("--config \(path): \(error)")
        }
    }

    /// The default agent, and an `openai` profile from the --agent-* flags.
    private func configureAgents(_ server: inout VoicedServer.Configuration, _ file: ConfigFile, _ env: [String: String]) throws {
        server.agent = agent ?? env["VOICED_AGENT"] ?? server.agent
        let flagsGiven = [agentUrl, agentModel, agentVoice, agentInstructions].contains { $0 != nil }
        guard server.agent == "openai", file.agents["openai"] == nil else {
            if flagsGiven { throw ValidationError("--agent-url, --agent-model, --agent-voice and --agent-instructions set up --agent openai") }
            return
        }
        guard let key = env["OPENAI_API_KEY"], !key.isEmpty else {
            throw ValidationError("--agent openai needs the API key in the environment variable OPENAI_API_KEY")
        }
        var settings = RealtimeSettings(apiKey: key)
        if let url = agentUrl { settings.url = url }
        settings.model = agentModel ?? settings.model
        settings.voice = agentVoice ?? settings.voice
        settings.instructions = agentInstructions ?? settings.instructions
        server.agentProfiles["openai"] = .openai(settings)
    }

    private static func integer(_ env: [String: String], _ name: String) throws -> Int? {
        guard let text = env[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, got '\(text)'") }
        return value
    }
}
