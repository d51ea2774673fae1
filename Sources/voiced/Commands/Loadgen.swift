import ArgumentParser
import Foundation
import LoadGen
import MediaGraph

/// `voiced loadgen`: many concurrent calls of real speech against a running daemon, speaking any
/// provider's protocol, with the echo agent or (Twilio) a built-in fake Realtime agent.
struct Loadgen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a provider for many concurrent calls and measure round-trip time, loss, server CPU and RSS.",
        discussion: """
            Each call sends 20 ms frames of the --audio WAV (looped) on an absolute real-time \
            schedule after a ramped, randomly offset start, in --provider's protocol and format \
            (twilio: μ-law; exotel: PCM 8 kHz in 100 ms chunks; acs: PCM 16 kHz; telnyx: PCMU; \
            vonage: binary PCM 16 kHz; plivo: μ-law; docs/providers.md). Frame i is back when i+1 \
            frames of payload have returned on its call. Pin server and generator to different \
            cores for honest figures, e.g. taskset -c 0 voiced serve & taskset -c 1 voiced loadgen --server-pid $!

            With --fake-agent-port P the generator first starts a fake OpenAI Realtime agent (GA) on \
            127.0.0.1:P that answers each caller turn with --fake-agent-response-ms of speech sent as \
            a burst, and each call plays what it hears at real time, returns marks and honours clear, \
            as Twilio does. Calls start --ramp-ms apart, in order, so the fake's connection i is call \
            i. The server must talk to that agent:

              OPENAI_API_KEY=test-key taskset -c 0 voiced serve \\
                --host 127.0.0.1 --port 8080 --media-threads 1 --io-threads 1 \\
                --agent openai --agent-url ws://127.0.0.1:P/v1/realtime \\
                --graph passthrough     (or standard)
              taskset -c 1 voiced loadgen --url ws://127.0.0.1:8080/twilio \\
                --calls 100 --seconds 20 --fake-agent-port P --server-pid PID

            It reports uplink latency (a frame sent → its input_audio_buffer.append at the fake), \
            downlink first audio (a response's first delta → the call's next media), barge-in \
            reaction (the first frame of a sentence spoken over the agent → the call's next clear; \
            sentence starts from --segments), appends lost, and the server's CPU per thread. \
            docs/benchmarks.md ("Load with an agent") explains each figure.
            """)

    @Option(help: "Provider protocol to speak: twilio, exotel, acs, telnyx, vonage or plivo (the daemon's echo agent answers; --fake-agent-port needs twilio).")
    var provider = "twilio"

    @Option(help: "WebSocket URL of the daemon (default: ws://127.0.0.1:8080 and the provider's path, e.g. /twilio).")
    var url: String?

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

    @Option(help: "Run a fake OpenAI Realtime agent on 127.0.0.1:PORT (see above) and measure uplink, downlink and barge-in.")
    var fakeAgentPort: Int?

    @Option(help: "--fake-agent-port: ms of speech in each answer.")
    var fakeAgentResponseMs = 2000

    @Option(help: "--fake-agent-port: ms between call starts (default: max(5, ramp ÷ calls)).")
    var rampMs: Double?

    @Option(help: "--fake-agent-port: sentence times of --audio, one 'START END' line (seconds) each (default: found from the audio's energy when the file is missing).")
    var segments = "TestAudio/speech-segments.txt"

    func run() async throws {
        let wire: (any ProviderWire)?
        if provider == "twilio" {
            wire = nil
        } else if let named = ProviderAudio.wire(named: provider) {
            guard fakeAgentPort == nil else { throw ValidationError("--fake-agent-port plays Twilio only") }
            wire = named
        } else {
            throw ValidationError("--provider must be twilio, exotel, acs, telnyx, vonage or plivo (got \(provider))")
        }
        let url = url ?? "ws://127.0.0.1:8080" + (wire?.path ?? "/twilio")
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
        config.wire = wire
        if let fakeAgentPort {
            guard (1...65535).contains(fakeAgentPort) else { throw ValidationError("--fake-agent-port must be 1…65535") }
            guard fakeAgentResponseMs > 0 else { throw ValidationError("--fake-agent-response-ms must be positive") }
            let starts: [Int]
            if let text = try? String(contentsOfFile: segments, encoding: .utf8) {
                starts = SpeechSegments.startFrames(segmentsText: text)
            } else {
                starts = SpeechSegments.startFrames(muLawFrames: frames)
                print("note: no \(segments); \(starts.count) sentence starts found in the audio")
            }
            config.fakeAgent = LoadGenerator.FakeAgent(
                port: fakeAgentPort, responseAudioMs: fakeAgentResponseMs, sentenceStartFrames: starts, callSpacingMs: rampMs)
        }
        let generator = LoadGenerator(configuration: config)
        let report: LoadGenerator.Report
        if let fakeAgentPort {
            let fake: FakeRealtimeServer
            do {
                fake = try await generator.startFakeAgent()
            } catch {
                throw ValidationError("cannot run the fake agent on 127.0.0.1:\(fakeAgentPort): \(error)")
            }
            do {
                report = try await generator.run(fakeAgent: fake)
            } catch {
                try? await fake.stop()
                throw error
            }
            try await fake.stop()
        } else {
            report = try await generator.run()
        }
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
