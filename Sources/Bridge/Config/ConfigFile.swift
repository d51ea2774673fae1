import Foundation
import MediaGraph
import NIOCore
import TOMLKit

/// voiced's configuration file (TOML; docs/configuration.md has a complete commented example): the
/// agent profiles a call can talk to and the default one, the graphs a call can name, and the
/// limits. Secrets never sit in the file: a profile names the environment variable that holds its key.
///
/// ```toml
/// default_agent = "sales"
///
/// [agents.sales]
/// connector = "openai"
/// url = "wss://api.openai.com/v1/realtime"
/// model = "gpt-realtime"
/// voice = "marin"
/// api_key_env = "OPENAI_API_KEY"
/// ```
///
/// - Threading: a value, made once at start-up.
public struct ConfigFile: Sendable {
    /// `default_agent`: the profile calls use unless they name another (nil: the server's default).
    public var defaultAgent: String?
    /// `[agents.NAME]` tables.
    public var agents: [String: AgentProfile] = [:]
    /// `[graphs]`: `NAME = "uplink nodes; downlink nodes"`, graphs a call can name.
    public var graphs: [String: GraphSpec] = [:]
    /// `[agents.NAME] graph` and `[providers.NAME] graph`: the graph calls to that profile, or from
    /// that provider, run unless they name one.
    public var graphRoutes = GraphRoutes()
    /// `[limits]`: timeouts and the real-time cap (defaults where absent).
    public var limits = ConnectionLimits()
    /// `[limits] frame_budget_us`: the per-frame time of one call the watchdog allows.
    public var frameBudget: Duration?
    /// `[limits] media_thread_budget`: ``FrameCost`` units per 20 ms per media thread.
    public var mediaThreadBudget: Int?
    /// `[limits] max_calls`: calls at once (nil: derived from the media threads' budget).
    public var maxCalls: Int?
    /// `[limits] drain_timeout_ms`: how long a drain lets calls in progress finish.
    public var drainTimeout: Duration?
    /// `[records] path` (an SQLite file, or `off`) or `url` (a `postgres://` URL): where ended
    /// calls are written.
    public var records: String?
    /// `[recordings]`: `directory`, `record_all`.
    public var recordings: RecordingSettings?
    /// `[webhooks]`: `url`, `secret_env` (the variable holding the signing key), `max_attempts`.
    public var webhooks: WebhookSettings?
    /// `[providers]`: the public URL, trust in call parameters, and each provider's secrets
    /// (`[providers.twilio] auth_token_env = "TWILIO_AUTH_TOKEN"`; docs/security.md).
    public var security = ProviderSecurity()

    /// No file: no profiles, no default.
    public init() {}

    /// Reads `path`. Throws ``ConfigError`` naming the file's line or the offending key.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        return try ConfigFile(toml: text, environment: environment)
    }

    /// Parses and validates `toml`; secrets are looked up in `environment`.
    public init(toml: String, environment: [String: String]) throws(ConfigError) {
        let root: TOMLTable
        if let (line, column) = TableHeaderCheck.firstNamelessHeader(in: toml) {
            throw .syntax(line: line, column: column, message: "a table header needs a name (a key, or a quoted string) after '['")
        }
        do {
            root = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw .syntax(line: Int(error.source.begin.line), column: Int(error.source.begin.column), message: error.description)
        } catch {
            throw .syntax(line: 0, column: 0, message: "\(error)")
        }
        var top = ConfigTable(root, path: "")
        defaultAgent = try top.string("default_agent")
        if var agents = try top.table("agents") {
            for name in agents.keys {
                guard var table = try agents.table(name) else { continue }
                self.agents[name] = try Self.profile(&table, environment: environment)
                graphRoutes.byAgent[name] = try table.string("graph")
                try table.rejectUnread()
            }
            try agents.rejectUnread()
        }
        if var graphs = try top.table("graphs") {
            for name in graphs.keys {
                let text = try graphs.requiredString(name)
                do {
                    self.graphs[name] = try GraphSpec(name: name, parsing: text)
                } catch {
                    throw .badValue(key: "graphs.\(name)", value: "\"\(text)\"", expected: "a spec 'uplink nodes; downlink nodes' (\(error))")
                }
            }
        }
        if var limits = try top.table("limits") {
            try readLimits(&limits)
            try limits.rejectUnread()
        }
        if var table = try top.table("records") {
            let path = try table.string("path")
            let url = try table.string("url")
            if let url {
                // Shown without a password it may hold.
                let shown = "\"\(CallRecords.describe(url))\""
                guard path == nil else { throw .badValue(key: "records.url", value: shown, expected: "path or url, not both") }
                guard PostgresURL.names(url) else {
                    throw .badValue(key: "records.url", value: shown, expected: "a postgres:// URL (the password from PGPASSWORD)")
                }
            }
            records = url ?? path
            try table.rejectUnread()
        }
        if var table = try top.table("recordings") {
            var settings = RecordingSettings(directory: try table.requiredString("directory"))
            settings.recordAll = try table.bool("record_all") ?? false
            recordings = settings
            try table.rejectUnread()
        }
        if var table = try top.table("webhooks") {
            try readWebhooks(&table, environment: environment)
            try table.rejectUnread()
        }
        if var providers = try top.table("providers") {
            try readProviders(&providers, environment: environment)
            try providers.rejectUnread()
        }
        try top.rejectUnread()
        let graphNames = Set(GraphSpec.presets.keys).union(graphs.keys)
        for route in graphRoutes.all where !graphNames.contains(route.graph) {
            throw .badValue(key: route.key, value: "\"\(route.graph)\"",
                            expected: "a graph under [graphs] or a preset (\(graphNames.sorted().joined(separator: ", ")))")
        }
        if let name = defaultAgent, agents[name] == nil, AgentProfile.builtInNames.contains(name) == false {
            throw .badValue(key: "default_agent", value: "\"\(name)\"",
                            expected: "a profile defined under [agents] or \(AgentProfile.builtInNames.joined(separator: ", "))")
        }
    }

    /// The `[limits]` table.
    private mutating func readLimits(_ table: inout ConfigTable) throws(ConfigError) {
        func milliseconds(_ key: String, _ value: inout TimeAmount) throws(ConfigError) {
            if let ms = try table.int(key, in: 100...3_600_000) { value = .milliseconds(Int64(ms)) }
        }
        try milliseconds("request_head_timeout_ms", &limits.requestHead)
        try milliseconds("request_body_timeout_ms", &limits.requestBody)
        try milliseconds("idle_timeout_ms", &limits.idle)
        try milliseconds("start_timeout_ms", &limits.start)
        try milliseconds("write_stall_timeout_ms", &limits.writeStall)
        try milliseconds("media_idle_timeout_ms", &limits.mediaIdle)
        // Floors that keep an ordinary call working: Twilio sends ~100 messages a second.
        limits.mediaBurstMs = try table.int("media_burst_ms", in: 100...60_000) ?? limits.mediaBurstMs
        limits.messagesPerSecond = try table.int("messages_per_second", in: 150...100_000) ?? limits.messagesPerSecond
        limits.messageBurst = try table.int("message_burst", in: 50...100_000) ?? limits.messageBurst
        limits.floodPauses = try table.int("flood_pauses", in: 1...10_000) ?? limits.floodPauses
        limits.connectionsPerAddress = try table.int("connections_per_address", in: 0...1_000_000) ?? limits.connectionsPerAddress
        limits.pendingConnections = try table.int("pending_connections", in: 0...1_000_000) ?? limits.pendingConnections
        frameBudget = try table.int("frame_budget_us", in: 50...20_000).map { .microseconds($0) }
        mediaThreadBudget = try table.int("media_thread_budget", in: 1_000_000...100_000_000_000)
        maxCalls = try table.int("max_calls", in: 1...1_000_000)
        drainTimeout = try table.int("drain_timeout_ms", in: 0...86_400_000).map { .milliseconds($0) }
    }

    /// The `[webhooks]` table.
    private mutating func readWebhooks(_ table: inout ConfigTable, environment: [String: String]) throws(ConfigError) {
        let url = try table.requiredString("url")
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw .badValue(key: "webhooks.url", value: "\"\(url)\"", expected: "an http:// or https:// URL")
        }
        guard let secret = try table.secret("secret_env", environment: environment) else { throw .missing("webhooks.secret_env") }
        var settings = WebhookSettings(url: url, secret: secret)
        settings.maxAttempts = try table.int("max_attempts", in: 1...20) ?? settings.maxAttempts
        webhooks = settings
    }

    /// The `[providers]` table and its `[providers.NAME]` sub-tables.
    private mutating func readProviders(_ table: inout ConfigTable, environment: [String: String]) throws(ConfigError) {
        if let url = try table.string("public_url") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw .badValue(key: "providers.public_url", value: "\"\(url)\"", expected: "an https:// URL (the server's public base)")
            }
            security.publicURL = url
        }
        security.trustCallParameters = try table.bool("trust_call_parameters") ?? false
        func provider(_ name: String, _ read: (inout ConfigTable) throws(ConfigError) -> Void) throws(ConfigError) {
            guard var sub = try table.table(name) else { return }
            try read(&sub)
            graphRoutes.byProvider[name] = try sub.string("graph")
            if let token = try sub.secret("media_token_env", environment: environment) { security.mediaTokens[name] = token }
            try sub.rejectUnread()
        }
        try provider("twilio") { (t) throws(ConfigError) in security.twilioAuthToken = try t.secret("auth_token_env", environment: environment) }
        try provider("exotel") { (t) throws(ConfigError) in
            security.exotelCredentials = try t.secret("credentials_env", environment: environment)
            security.exotelAllowedAddresses = try t.strings("allowed_addresses") ?? []
        }
        try provider("telnyx") { (t) throws(ConfigError) in security.telnyxPublicKey = try t.string("public_key") }
        try provider("plivo") { (t) throws(ConfigError) in security.plivoAuthToken = try t.secret("auth_token_env", environment: environment) }
        try provider("vonage") { (t) throws(ConfigError) in
            security.vonageSignatureSecret = try t.secret("signature_secret_env", environment: environment)
        }
        try provider("acs") { (t) throws(ConfigError) in
            if let text = try t.secret("connection_string_env", environment: environment) {
                guard let connection = ACSConnectionString(text) else {
                    throw .badValue(key: "providers.acs.connection_string_env", value: "(its variable's value)",
                                    expected: "endpoint=https://NAME.communication.azure.com/;accesskey=BASE64")
                }
                security.acsConnectionString = connection
            }
            security.acsAudience = try t.string("audience")
            security.acsOpenIDMetadataURL = try t.string("openid_metadata_url") ?? security.acsOpenIDMetadataURL
            security.acsIssuer = try t.string("issuer") ?? security.acsIssuer
            security.acsAudioFormat = try t.choice("audio_format", ["pcm16KMono", "pcm24KMono"]) ?? security.acsAudioFormat
            security.eventGridAudience = try t.string("event_grid_audience")
            security.eventGridOpenIDMetadataURL = try t.string("event_grid_openid_metadata_url")
            security.eventGridIssuer = try t.string("event_grid_issuer")
            if security.eventGridAudience != nil, security.eventGridOpenIDMetadataURL == nil || security.eventGridIssuer == nil {
                throw .missing("providers.acs.event_grid_openid_metadata_url and event_grid_issuer (with event_grid_audience)")
            }
        }
    }

    /// One `[agents.NAME]` table.
    static func profile(_ table: inout ConfigTable, environment: [String: String]) throws(ConfigError) -> AgentProfile {
        switch try table.choice("connector", AgentProfile.connectors) {
        case nil: throw .missing("\(table.path).connector")
        case "echo": return .echo
        case "demo": return .demo
        case "ws": return .ws(try bot(&table, environment: environment))
        default: return .openai(try realtime(&table, environment: environment))
        }
    }

    /// The settings of a `connector = "ws"` profile.
    static func bot(_ table: inout ConfigTable, environment: [String: String]) throws(ConfigError) -> BotSettings {
        let url = try table.requiredString("url")
        guard AgentSocket.Endpoint(url: url) != nil else {
            throw .badValue(key: "\(table.path).url", value: "\"\(url)\"", expected: "a ws:// or wss:// URL")
        }
        let dialect = try table.choice("dialect", BotSettings.Dialect.allCases.map(\.rawValue)).flatMap(BotSettings.Dialect.init) ?? .voicedV1
        var settings = BotSettings(url: url, dialect: dialect)
        settings.audio = try table.choice("audio", BotSettings.Audio.allCases.map(\.rawValue)).flatMap(BotSettings.Audio.init) ?? .mulaw
        if let variable = try table.string("token_env") {
            guard let token = environment[variable], !token.isEmpty else {
                throw .missingSecret(key: "\(table.path).token_env", variable: variable)
            }
            settings.bearerToken = token
        }
        if let ms = try table.int("connect_timeout_ms", in: 100...60_000) { settings.connectTimeout = .milliseconds(ms) }
        return settings
    }

    /// The settings of a `connector = "openai"` profile.
    static func realtime(_ table: inout ConfigTable, environment: [String: String]) throws(ConfigError) -> RealtimeSettings {
        let keyVariable = try table.string("api_key_env") ?? "OPENAI_API_KEY"
        guard let key = environment[keyVariable], !key.isEmpty else {
            throw .missingSecret(key: "\(table.path).api_key_env", variable: keyVariable)
        }
        let dialect = try table.choice("dialect", RealtimeSettings.Dialect.allCases.map(\.rawValue)).flatMap(RealtimeSettings.Dialect.init) ?? .ga
        var settings = RealtimeSettings(dialect: dialect, apiKey: key)
        if let url = try table.string("url") {
            guard AgentSocket.Endpoint(url: url) != nil else {
                throw .badValue(key: "\(table.path).url", value: "\"\(url)\"", expected: "a ws:// or wss:// URL")
            }
            settings.url = url
        } else if dialect == .voiceLive {
            throw .missing("\(table.path).url")
        }
        settings.model = try table.string("model") ?? settings.model
        settings.voice = try table.string("voice") ?? settings.voice
        settings.instructions = try table.string("instructions") ?? settings.instructions
        settings.audio = try table.choice("audio", RealtimeSettings.Audio.allCases.map(\.rawValue)).flatMap(RealtimeSettings.Audio.init) ?? .mulaw
        settings.transcriptionModel = try table.string("transcription_model")
        settings.useAPIKeyHeader = try table.choice("auth_header", ["authorization", "api-key"]).map { $0 == "api-key" }
        if let ms = try table.int("connect_timeout_ms", in: 100...60_000) { settings.connectTimeout = .milliseconds(ms) }
        if var vad = try table.table("turn_detection") {
            var t = settings.turnDetection
            t.type = try vad.choice("type", ["server_vad", "semantic_vad", "azure_semantic_vad", "azure_semantic_vad_multilingual"]) ?? t.type
            t.threshold = try vad.double("threshold", in: 0...1) ?? t.threshold
            t.prefixPaddingMs = try vad.int("prefix_padding_ms", in: 0...5000) ?? t.prefixPaddingMs
            t.silenceDurationMs = try vad.int("silence_duration_ms", in: 0...10_000) ?? t.silenceDurationMs
            t.interruptResponse = try vad.bool("interrupt_response") ?? t.interruptResponse
            try vad.rejectUnread()
            settings.turnDetection = t
        }
        return settings
    }
}
