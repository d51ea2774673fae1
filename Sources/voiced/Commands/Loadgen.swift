import ArgumentParser
import Foundation
import LoadGen

/// `voiced loadgen`: many concurrent Twilio calls of real speech against a running daemon.
struct Loadgen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play Twilio for many concurrent calls and measure round-trip time, loss, server CPU and RSS.",
        discussion: """
            Each call sends 20 ms μ-law frames of the --audio WAV (looped) on an absolute real-time \
            schedule after a ramped, randomly offset start. Frame i is back when 160·(i+1) payload \
            bytes have returned on its call. Pin server and generator to different cores for honest \
            figures, e.g. taskset -c 0 voiced serve & taskset -c 1 voiced loadgen --server-pid $!
            """)

    @Option(help: "WebSocket URL of the daemon's Twilio endpoint.")
    var url = "ws://127.0.0.1:8080/twilio"

    @Option(help: "Concurrent calls.")
    var calls = 1

    @Option(help: "Seconds of audio each call sends.")
    var seconds = 10.0

    @Option(help: "Seconds over which call starts are spread (default: 1 per 100 calls, at most 10).")
    var ramp: Double?

    @Option(help: "Mono μ-law 8 kHz WAV to play (make one with scripts/make-test-audio).")
    var audio = "TestAudio/speech-8k-mulaw.wav"

    @Option(help: "PID of the server, to report its CPU per call-second and RSS per call from /proc.")
    var serverPid: Int32?

    @Option(help: "Client event loop threads.")
    var clientThreads = 1

    @Option(help: "Also write the report as JSON to this file.")
    var json: String?

    @Flag(help: "Exit 1 when any frame is lost (for CI).")
    var failOnLoss = false

    func run() async throws {
        guard let parsed = URL(string: url), parsed.scheme == "ws", let host = parsed.host, parsed.port != nil || !url.contains("://\(host):") else {
            throw ValidationError("--url must look like ws://HOST:PORT/PATH (got \(url))")
        }
        guard calls >= 1, seconds > 0 else { throw ValidationError("--calls and --seconds must be positive") }
        let frames: [[UInt8]]
        do {
            frames = try WAVFile(path: audio).muLawFrames()
        } catch {
            throw ValidationError("cannot use --audio \(audio): \(error)")
        }
        FileDescriptorLimit.raiseToHardLimit()
        var config = LoadGenerator.Configuration()
        config.host = host
        config.port = parsed.port ?? 80
        config.path = parsed.path.isEmpty ? "/" : parsed.path
        config.calls = calls
        config.seconds = seconds
        config.rampSeconds = ramp
        config.frames = frames
        config.serverPID = serverPid
        config.clientThreads = clientThreads
        let report = try await LoadGenerator(configuration: config).run()
        print(report.table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        if report.callsConnected < calls {
            print("error: only \(report.callsConnected) of \(calls) calls connected")
            throw ExitCode(1)
        }
        if failOnLoss, report.framesLost > 0 {
            print("error: \(report.framesLost) frames lost")
            throw ExitCode(1)
        }
    }
}
