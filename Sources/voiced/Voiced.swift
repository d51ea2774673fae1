import ArgumentParser

@main
struct Voiced: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "voiced",
        abstract: "A low-latency telephony media server for voice-AI agents.",
        discussion: """
            Phone providers open a WebSocket per call (Twilio Media Streams: ws://HOST:PORT/twilio); \
            voiced runs each call's audio through a media graph on dedicated media threads and relays \
            it to an agent.
            """,
        subcommands: [Serve.self, Calls.self, ConfigCommand.self, Process.self, Loadgen.self, VersionCommand.self],
        defaultSubcommand: Serve.self)
}
