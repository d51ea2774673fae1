import ExampleNodes
import MediaGraph
@testable import Bridge
import Testing
import Foundation
import VoicedTesting

/// The configuration file: agent profiles read and checked, with errors that name the key.
@Suite struct ConfigFileTests {
    static let env = ["OPENAI_API_KEY": "sk-test", "AZURE_KEY": "az-test"]

    @Test func profilesAreRead() throws {
        let file = try ConfigFile(toml: """
            default_agent = "sales"
            [agents.sales]
            connector = "openai"
            url = "wss://api.openai.com/v1/realtime"
            voice = "cedar"
            audio = "pcm24k"
            [agents.sales.turn_detection]
            silence_duration_ms = 700
            interrupt_response = false
            [agents.azure]
            connector = "openai"
            dialect = "voice-live"
            url = "wss://r.services.ai.azure.com/voice-live/realtime?api-version=2026-04-10&model=gpt-realtime"
            api_key_env = "AZURE_KEY"
            [agents.bench]
            connector = "echo"
            [agents.bot]
            connector = "ws"
            url = "ws://127.0.0.1:8765"
            dialect = "twilio"
            """, environment: Self.env)
        #expect(file.defaultAgent == "sales")
        guard case let .openai(sales)? = file.agents["sales"], case let .openai(azure)? = file.agents["azure"] else {
            Issue.record("openai profiles expected")
            return
        }
        #expect(sales.voice == "cedar")
        #expect(sales.audio == .pcm24)
        #expect(sales.turnDetection.silenceDurationMs == 700)
        #expect(!sales.turnDetection.interruptResponse)
        #expect(sales.resolvedURL == "wss://api.openai.com/v1/realtime?model=gpt-realtime")
        #expect(sales.authorizationHeader == ("Authorization", "Bearer sk-test"))
        #expect(azure.dialect == .voiceLive)
        #expect(azure.authorizationHeader == ("api-key", "az-test"))
        #expect(!"\(sales)".contains("sk-test"), "a profile's description never shows its key")
        if case .echo? = file.agents["bench"] {} else { Issue.record("echo profile expected") }
        if case let .ws(bot)? = file.agents["bot"] {
            #expect(bot.dialect == .twilio)
            #expect(bot.format == .telephonyMuLaw)
        } else {
            Issue.record("ws profile expected")
        }
    }

    @Test(arguments: [
        ("[agents.a]\nconnector = \"openai\"\nvoise = \"x\"", ConfigError.unknownKey("agents.a.voise")),
        ("[agents.a]\nconnector = \"openai\"\naudio = \"pcm16\"",
         ConfigError.badValue(key: "agents.a.audio", value: "\"pcm16\"", expected: "one of mulaw, pcm24k")),
        ("[agents.a]\nconnector = \"bot\"",
         ConfigError.badValue(key: "agents.a.connector", value: "\"bot\"", expected: "one of demo, echo, openai, ws")),
        ("[agents.a]\nvoice = \"x\"", ConfigError.missing("agents.a.connector")),
        ("[agents.a]\nconnector = \"openai\"\napi_key_env = \"NOPE\"", ConfigError.missingSecret(key: "agents.a.api_key_env", variable: "NOPE")),
        ("[agents.a]\nconnector = \"openai\"\nurl = \"https//x\"",
         ConfigError.badValue(key: "agents.a.url", value: "\"https//x\"", expected: "a ws:// or wss:// URL")),
        ("[agents.a]\nconnector = \"openai\"\nconnect_timeout_ms = 5",
         ConfigError.badValue(key: "agents.a.connect_timeout_ms", value: "5", expected: "an integer in 100…60000")),
        ("default_agent = \"nobody\"",
         ConfigError.badValue(key: "default_agent", value: "\"nobody\"", expected: "a profile defined under [agents] or demo, echo")),
        ("port = 8080", ConfigError.unknownKey("port")),
        ("[graphs]\nclean = \"mulaw-decode, apm\"", ConfigError.badValue(
            key: "graphs.clean", value: "\"mulaw-decode, apm\"",
            expected: "a spec 'uplink nodes; downlink nodes' (bad graph spec: 'mulaw-decode, apm': write the uplink nodes, ';', then the downlink nodes)")),
        ("[limits]\nstart_timeout_ms = 10", ConfigError.badValue(key: "limits.start_timeout_ms", value: "10", expected: "an integer in 100…3600000")),
        ("[limits]\nstart_timeout = 10", ConfigError.unknownKey("limits.start_timeout")),
        ("[limits]\nmax_calls = 0", ConfigError.badValue(key: "limits.max_calls", value: "0", expected: "an integer in 1…1000000")),
    ])
    func mistakesNameTheirKey(toml: String, error: ConfigError) {
        #expect(throws: error) { try ConfigFile(toml: toml, environment: Self.env) }
    }

    @Test func graphsAndLimitsAreRead() throws {
        let file = try ConfigFile(toml: """
            [graphs]
            clean = "mulaw-decode, apm(ns=very-high), vad; mulaw-encode"
            [limits]
            start_timeout_ms = 5000
            write_stall_timeout_ms = 3000
            media_burst_ms = 400
            frame_budget_us = 2500
            media_thread_budget = 50000000
            max_calls = 100
            drain_timeout_ms = 45000
            """, environment: Self.env)
        #expect(file.graphs["clean"]?.uplink == ["mulaw-decode", "apm(ns=very-high)", "vad"])
        #expect(file.limits.start == .seconds(5))
        #expect(file.limits.writeStall == .seconds(3))
        #expect(file.limits.requestHead == .seconds(10), "absent keys keep their defaults")
        #expect(file.limits.mediaBurstMs == 400)
        #expect(file.frameBudget == .microseconds(2500))
        #expect(file.mediaThreadBudget == 50_000_000)
        #expect(file.maxCalls == 100)
        #expect(file.drainTimeout == .seconds(45))
    }

    @Test func providerSecretsComeFromTheEnvironment() throws {
        let toml = """
            [providers]
            public_url = "https://voiced.example.com"
            trust_call_parameters = false
            [providers.twilio]
            auth_token_env = "TWILIO_AUTH_TOKEN"
            [providers.exotel]
            credentials_env = "EXOTEL_CREDENTIALS"
            allowed_addresses = ["203.0.113.7"]
            [providers.telnyx]
            public_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
            media_token_env = "TELNYX_MEDIA_TOKEN"
            [providers.plivo]
            auth_token_env = "PLIVO_AUTH_TOKEN"
            [providers.vonage]
            signature_secret_env = "VONAGE_SIGNATURE_SECRET"
            """
        let env = ["TWILIO_AUTH_TOKEN": "tw", "EXOTEL_CREDENTIALS": "k:t", "TELNYX_MEDIA_TOKEN": "tok", "PLIVO_AUTH_TOKEN": "pl",
                   "VONAGE_SIGNATURE_SECRET": "vo"]
        let security = try ConfigFile(toml: toml, environment: env).security
        #expect(security.publicURL == "https://voiced.example.com")
        #expect(security.twilioAuthToken == "tw" && security.exotelCredentials == "k:t" && security.plivoAuthToken == "pl")
        #expect(security.vonageSignatureSecret == "vo" && security.mediaTokens == ["telnyx": "tok"])
        #expect(security.exotelAllowedAddresses == ["203.0.113.7"])
        #expect(security.telnyxPublicKey == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        #expect(throws: ConfigError.missingSecret(key: "providers.twilio.auth_token_env", variable: "TWILIO_AUTH_TOKEN")) {
            try ConfigFile(toml: "[providers.twilio]\nauth_token_env = \"TWILIO_AUTH_TOKEN\"", environment: [:])
        }
        #expect(throws: ConfigError.unknownKey("providers.twilio.auth_token")) {
            try ConfigFile(toml: "[providers.twilio]\nauth_token = \"in the file\"", environment: [:])
        }
    }

    @Test func syntaxErrorsNameTheLine() {
        do {
            _ = try ConfigFile(toml: "[agents.a]\nconnector = \n", environment: Self.env)
            Issue.record("a syntax error was accepted")
        } catch let ConfigError.syntax(line, _, _) {
            #expect(line == 2)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// A header with no name (`[ = …`, which TOMLKit's parser asserts on instead of reporting:
    /// found by `scripts/fuzz config`) is a syntax error naming its line; brackets that open a
    /// line inside an array, or inside a multi-line string, are not headers.
    @Test func aTableHeaderWithoutANameIsASyntaxError() throws {
        #expect(throws: ConfigError.syntax(line: 3, column: 3, message: "a table header needs a name (a key, or a quoted string) after '['")) {
            try ConfigFile(toml: "default_agent = \"demo\"\n\n[ = \"marin\"\n", environment: [:])
        }
        #expect(throws: ConfigError.syntax(line: 1, column: 4, message: "a table header needs a name (a key, or a quoted string) after '['")) {
            try ConfigFile(toml: "[[ ,]]\n", environment: [:])
        }
        #expect(throws: ConfigError.syntax(line: 2, column: 2, message: "a table header needs a name (a key, or a quoted string) after '['")) {
            try ConfigFile(toml: "# a comment\n[\nlimits]\n", environment: [:])
        }
        #expect(TableHeaderCheck.firstNamelessHeader(in: "a = [\n  [ +1, 2 ],\n  [ { b = 1 } ],\n]\n[agents.x] # [ = \ns = \"\"\"\n[ = not a header\n\"\"\"\n") == nil)
    }

    /// docs/configuration.md's complete example is a file `voiced serve` starts with: every key
    /// valid, every graph built for every agent (what `voiced config check` runs).
    @Test func theDocumentedExampleChecks() throws {
        let doc = try String(contentsOf: TestSpeech.repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```toml\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let toml = String(doc[start.upperBound..<end.lowerBound])
        // Every secret the example names, present.
        let variables = toml.matches(of: #/_env = "([A-Z_]+)"/#).map { String($0.output.1) }
        let env = Dictionary(uniqueKeysWithValues: Set(variables).map { name in
            (name, name.contains("CONNECTION") ? "endpoint=https://acme.communication.azure.com/;accesskey=dGVzdC1rZXk=" : "key:test-secret")
        })
        let file = try ConfigFile(toml: toml, environment: env)
        var server = VoicedServer.Configuration()
        server.apply(file)
        // As `voiced` has them: its own nodes and the example ones (the `keypad` graph's `dtmf`).
        server.nodes = try NodeCatalog.builtIn.adding(ExampleNodes.catalog)
        #expect(try VoicedServer.check(server) == file.maxCalls)
        #expect(file.graphRoutes == GraphRoutes(byAgent: ["mybot": "clean"], byProvider: ["twilio": "keypad"]))
        #expect(file.webhooks != nil && file.records != nil && !file.agents.isEmpty && !file.graphs.isEmpty)
    }

    /// Graphs per agent profile and provider route: read, and a name that is not a graph refused
    /// with the key that names it; a graph with a node the server does not have stops the server,
    /// naming the graph and the node.
    @Test func graphRoutesNameGraphsThatExist() throws {
        let file = try ConfigFile(toml: """
            [graphs]
            quiet = "vad; "
            [agents.bot]
            connector = "echo"
            graph = "quiet"
            [providers.telnyx]
            graph = "passthrough"
            """, environment: [:])
        #expect(file.graphRoutes == GraphRoutes(byAgent: ["bot": "quiet"], byProvider: ["telnyx": "passthrough"]))
        #expect(throws: ConfigError.badValue(key: "agents.bot.graph", value: "\"loud\"",
                                             expected: "a graph under [graphs] or a preset (full, neural, passthrough, quiet, standard, wideband)")) {
            try ConfigFile(toml: "[graphs]\nquiet = \"vad; \"\n[agents.bot]\nconnector = \"echo\"\ngraph = \"loud\"", environment: [:])
        }
        let unknownNode = try ConfigFile(toml: "[graphs]\nkeys = \"dtmf; \"", environment: [:])
        var server = VoicedServer.Configuration()
        server.apply(unknownNode)
        #expect { try VoicedServer.check(server) } throws: { "\($0)".contains("graph 'keys': no node named 'dtmf'") }
        server.nodes = try NodeCatalog.builtIn.adding(ExampleNodes.catalog)
        #expect(try VoicedServer.check(server) > 0)
    }
}
