import ArgumentParser
import Bridge
import Foundation
import MediaGraph

/// `voiced config check FILE`: validates a configuration file as `voiced serve` would start with it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with configuration files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file: syntax, every key and value, secrets present in the environment, every graph built for every agent profile.",
            discussion: """
                Exits 0 and prints a summary when `voiced serve --config FILE` would start with
                it; otherwise exits non-zero with the first problem, naming its key (or line) and
                what is accepted. Secrets are looked up in this environment, as serve does, and
                never printed. docs/configuration.md has a complete commented example.
                """)

        @Argument(help: "The TOML file.")
        var file: String

        func run() throws {
            let env = ProcessInfo.processInfo.environment
            let parsed: ConfigFile
            do {
                parsed = try ConfigFile.load(path: file, environment: env)
            } catch {
                throw ValidationError("\(file): \(error)")
            }
            var server = VoicedServer.Configuration()
            server.nodes = NodeExtensions.catalog
            server.apply(parsed)
            let maxCalls: Int
            do {
                maxCalls = try VoicedServer.check(server)
            } catch {
                throw ValidationError("\(file): \(error)")
            }
            let agents = Set(["echo", "demo"]).union(parsed.agents.keys).sorted().joined(separator: ", ")
            let graphs = Set(GraphSpec.presets.keys).union(parsed.graphs.keys).sorted().joined(separator: ", ")
            let records = parsed.records == "off" ? "off" : server.records.map(CallRecords.describe) ?? "voiced-calls.sqlite (the default)"
            print("""
                \(file): ok
                  agents: \(agents) (default \(server.agent))
                  graphs: \(graphs) (default \(server.graph.name))
                  max calls: \(maxCalls)\(parsed.maxCalls == nil ? " (derived from the media threads' budget)" : "")
                  records: \(records)
                  webhooks: \(server.webhooks?.url ?? "none")
                """)
        }
    }
}
