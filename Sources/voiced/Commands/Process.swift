import ArgumentParser
import Bridge
import Foundation
import MediaGraph

/// `voiced process`: runs a graph over WAV files offline — one file, a folder, or a list — frame by
/// frame on one thread, exactly as a call's media thread would, and reports each node's cost and the
/// graph's events, per file and in total.
struct Process: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a media graph over WAV files offline; report events and per-node cost.",
        discussion: """
            Each input is the provider's audio (the uplink): mono μ-law 8 kHz, or
            16-bit PCM at 8, 16, 24 or 48 kHz. The downlink plays --far-end (the
            agent's audio, 16-bit PCM at the agent's rate) or, without it, the
            uplink's own output back (the echo agent). Both directions run every
            20 ms frame, as on a call.
            --input takes a WAV file, a folder (every .wav in it), or a list file
            (.txt/.list: one path per line); repeat it for more. Over a corpus:
              voiced process --input corpus/ --graph 'vad; ' --jsonl vad.jsonl
            writes every event with its file and media time, and each file's
            per-node time (p50/p99 ns per frame), as JSON Lines; compare two VADs
            by running each over the same folder. A file that cannot be read or
            run is reported and skipped; the rest still run, and the exit status
            is then 1.
            Try a node of your own with a spec (docs/writing-a-node.md):
              voiced process --input TestAudio/speech-8k-mulaw.wav --output out.wav \\
                --graph 'apm(ns=very-high), dtmf, vad; '
            Times are wall clock on this machine; for a repeatable cost see
            scripts/instructions (valgrind's callgrind).
            """)

    @Option(help: "A preset (\(GraphSpec.presets.keys.sorted().joined(separator: ", "))), a name under --config's [graphs], or a spec 'uplink nodes; downlink nodes'.")
    var graph = "standard"

    @Option(help: "A configuration file whose [graphs] --graph may name (docs/configuration.md).")
    var config: String?

    @Option(help: "A WAV file, a folder of them, or a list file (.txt/.list, one path per line); repeatable.")
    var input: [String] = []

    @Option(help: "Write what the agent receives (the uplink's output) to this WAV (one input only).")
    var output: String?

    @Option(help: "Write what the caller hears (the downlink's output) to this WAV (one input only).")
    var downlinkOutput: String?

    @Option(help: "Write what the agent receives for each input to this folder, as NAME.wav.")
    var outputDir: String?

    @Option(help: "Write every event and each file's per-node time as JSON Lines to this file ('-': standard output).")
    var jsonl: String?

    @Option(help: "WAV the agent speaks on the downlink (16-bit PCM at the agent's rate); default: echo the uplink.")
    var farEnd: String?

    @Option(help: "The agent's sample rate ('rate=agent' in a spec). Default: the input's.")
    var agentRate: Int?

    @Option(help: "Run over each input this many times (for steadier figures).")
    var passes = 1

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("give at least one --input (a WAV file, a folder or a list file)") }
        guard passes >= 1 else { throw ValidationError("--passes must be at least 1") }
    }

    func run() throws {
        let files = try Corpus.files(input)
        guard !files.isEmpty else { throw ValidationError("--input names no WAV file") }
        guard files.count == 1 || (output == nil && downlinkOutput == nil) else {
            throw ValidationError("--output and --downlink-output take one input; over several, use --output-dir")
        }
        let spec = try graphSpec()
        let farFile = try farEnd.map { path in
            let file = try WAVFile(path: path)
            guard file.formatTag == 1, agentRate == nil || file.sampleRateHz == agentRate else {
                throw ValidationError("--far-end must be 16-bit PCM\(agentRate.map { " at \($0) Hz, the agent's rate" } ?? "")")
            }
            return file
        }
        // The agent hears and speaks PCM at --agent-rate, or at the far end's rate; without either it
        // is an echo of whatever the graph's uplink produces.
        let agent = (agentRate ?? farFile?.sampleRateHz).map { AgentAudio.pcm(rateHz: $0) } ?? .natural
        if let outputDir { try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true) }
        let lines = try jsonl.map(LineWriter.init)

        var failed: [(file: String, reason: String)] = []
        var outputNames = Set<String>()
        var totalFrames = 0
        var totalNodes: [(node: String, histogram: LatencyHistogram)] = []
        for file in files {
            let run: OfflineRun
            do {
                let wav = try WAVFile(path: file)
                run = try OfflineRun(wav: wav, spec: spec, agent: agent, nodes: NodeExtensions.catalog, farEnd: farFile?.data,
                                     passes: passes, keepAudio: output != nil || downlinkOutput != nil || outputDir != nil)
                try write(output, run.agentAudio, run.graph.agentHears)
                try write(downlinkOutput, run.callerAudio, run.graph.providerFormat)
                if let outputDir {
                    // NAME.wav; the same name from another folder gets the folder too (never overwritten).
                    var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                    if !outputNames.insert(name).inserted {
                        name = (file as NSString).deletingPathExtension.replacingOccurrences(of: "/", with: "_")
                        outputNames.insert(name)
                    }
                    try write((outputDir as NSString).appendingPathComponent(name + ".wav"), run.agentAudio, run.graph.agentHears)
                }
            } catch {
                failed.append((file, "\(error)"))
                FileHandle.standardError.write(Data("voiced process: \(file): \(error)\n".utf8))
                lines?.write(EventLines.failed(file, reason: "\(error)"))
                continue
            }
            let timings = run.graph.nodeTimings
            for event in run.events { lines?.write(EventLines.event(event, file: file)) }
            lines?.write(EventLines.file(file, frames: run.frames, cpuNanos: run.cpuNanos, nodes: timings))
            if files.count == 1 {
                report(spec: spec, run: run)
            } else {
                say("\(file): \(run.frames) frames, \(run.events.count) events, "
                    + String(format: "%.1f µs per frame", Double(run.cpuNanos) / Double(run.frames) / 1000))
            }
            totalFrames += run.frames
            for (node, histogram) in timings {
                if let i = totalNodes.firstIndex(where: { $0.node == node }) { totalNodes[i].histogram.add(histogram) } else { totalNodes.append((node, histogram)) }
            }
        }
        lines?.write(EventLines.total(files: files.count, failed: failed.count, frames: totalFrames, nodes: totalNodes))
        if files.count > 1 {
            say("total: \(files.count - failed.count) of \(files.count) files, \(totalFrames) frames (graph \(spec.name): \(spec.text))")
            printTimings(totalNodes)
        }
        guard failed.isEmpty else {
            FileHandle.standardError.write(Data("voiced process: \(failed.count) of \(files.count) files could not be processed\n".utf8))
            throw ExitCode(1)
        }
    }

    /// `--graph` as a preset, a `[graphs]` name of `--config`, or a written-out spec; every node
    /// `voiced` knows, extensions included.
    private func graphSpec() throws -> GraphSpec {
        do {
            if let config {
                let file = try ConfigFile.load(path: config, environment: ProcessInfo.processInfo.environment)
                if let named = file.graphs[graph] { return named }
            }
            return try GraphSpec.named(graph)
        } catch {
            throw ValidationError("--graph: \(error)")
        }
    }

    private func write(_ path: String?, _ data: [UInt8], _ format: AudioFormat) throws {
        guard let path else { return }
        guard format.encoding != .opus else { throw ValidationError("\(path): Opus packets cannot go into a WAV") }
        try WAVFile.write(path: path, formatTag: format.encoding == .mulaw ? 7 : 1, sampleRateHz: format.sampleRateHz, data: data)
    }

    /// Prints the human-readable report, unless the JSON Lines go to standard output.
    private func say(_ line: String) {
        if jsonl != "-" { print(line) }
    }

    private func report(spec: GraphSpec, run: OfflineRun) {
        let graph = run.graph
        say("graph \(spec.name): \(spec.text)")
        say("provider \(graph.providerFormat), agent hears \(graph.agentHears), speaks \(graph.agentSpeaks); \(run.frames) frames (\(run.frames / 50) s of call)")
        printTimings(graph.nodeTimings)
        if let canceller = graph.audioProcessor, canceller.settings.echoCancellation {
            let delay = canceller.echoDelayEstimateMs.map {
                "echo path delay \($0) ms (envelope correlation \(String(format: "%.2f", canceller.echoDelayConfidence)))"
            } ?? "no echo heard to time"
            say("echo canceller: \(delay), double talk \(canceller.doubleTalkChunks * 10) ms")
        }
        let perFrameMicros = Double(run.cpuNanos) / Double(run.frames) / 1000
        say(String(format: "CPU: %.1f µs per frame (both directions) = %.2f CPU-ms per call-second", perFrameMicros, perFrameMicros * 50 / 1000))
        for event in run.events { say("event \(event)") }
    }

    private func printTimings(_ timings: [(node: String, histogram: LatencyHistogram)]) {
        say("node                              p50 ns     p99 ns     max ns")
        for (node, histogram) in timings {
            let cells = [50.0, 99.0].map { String(histogram.nanos(atPercentile: $0)) } + [String(histogram.maxNanos)]
            say(node.padding(toLength: 30, withPad: " ", startingAt: 0) + cells.map { $0.leftPadded(11) }.joined())
        }
    }
}

/// Lines to a file or standard output (`-`).
private final class LineWriter {
    private let handle: FileHandle

    init(_ path: String) throws {
        if path == "-" {
            handle = .standardOutput
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ValidationError("--jsonl: cannot create \(path)")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
    }

    func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
