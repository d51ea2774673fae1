// scripts/audio-quality: runs graphs over the corpus scripts/make-corpus makes and prints the
// tables of issue 10 (docs/audio-quality.md): ERLE by echo delay, double talk, noise suppression,
// voice activity, and the delay each preset adds.
//
//   AudioQuality [CORPUS_DIR] [--graph NAME=SPEC]… [--table echo|double-talk|noise|vad|delay]…
//
// Offline and deterministic: the same corpus gives the same tables.
import Foundation
import MediaGraph
import MediaTesting

/// `standard` with other `apm` settings.
func standard(apm: String) -> GraphSpec {
    let entry = NodeSpec(stringLiteral: apm)
    return GraphSpec(name: apm, uplink: GraphSpec.standard.uplink.map { $0.name == "apm" ? entry : $0 }, downlink: GraphSpec.standard.downlink)
}

/// The graphs compared: the presets, plus `standard` trusting a fixed 60 ms echo delay (what it
/// trusted before the delay estimator; today's canceller otherwise).
let fixedDelay = "standard, aec-delay=60"
var graphs: [(String, GraphSpec)] = [
    ("standard", .standard), ("wideband", .wideband), ("full", .full), ("neural", .neural), (fixedDelay, standard(apm: "apm(aec-delay=60)")),
]
var arguments = Array(CommandLine.arguments.dropFirst())
var corpusPath: String?
/// The tables asked for (all when none is named).
var tables: Set<String> = []
while let argument = arguments.first {
    arguments.removeFirst()
    if argument == "--graph", let value = arguments.first, let equals = value.firstIndex(of: "=") {
        arguments.removeFirst()
        let name = String(value[..<equals])
        graphs.append((name, try GraphSpec(name: name, parsing: String(value[value.index(after: equals)...]))))
    } else if argument == "--table", let value = arguments.first {
        arguments.removeFirst()
        guard ["echo", "double-talk", "noise", "vad", "delay"].contains(value) else {
            FileHandle.standardError.write(Data("AudioQuality: no table '\(value)' (echo, double-talk, noise, vad, delay)\n".utf8))
            exit(2)
        }
        tables.insert(value)
    } else {
        corpusPath = argument
    }
}
let corpus = try corpusPath.map { try Corpus(directory: URL(fileURLWithPath: $0)) } ?? Corpus()
let voices = corpus.voices
func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
func mean<T>(_ results: [T], _ value: (T) -> Double) -> Double { results.map(value).reduce(0, +) / Double(results.count) }
func row(_ cells: [String]) { print("| " + cells.joined(separator: " | ") + " |") }
func header(_ cells: [String]) { row(cells); row(cells.map { _ in "---" }) }

print("# Audio quality (\(voices.count) voices: \(voices.map(\.name).joined(separator: ", ")); μ-law 8 kHz calls, agent PCM 8 kHz)\n")

if tables.isEmpty || tables.contains("echo") {
    print("## Echo: ERLE after 2 s of agent speech (dB, mean over voices) / false barge-ins from echo alone (total)\n")
    let delays = [20, 40, 80, 120, 200, 300, 400, 500]
    header(["graph", "echo level"] + delays.map { "\($0) ms" })
    for (name, spec) in graphs {
        for attenuation in [-6.0, -12.0] {
            var cells = [name, "\(Int(attenuation)) dB"]
            for delay in delays {
                let results = try voices.map { try EchoMeasurement(path: EchoPath(delayMs: delay, attenuationDb: attenuation), spec: spec, far: $0.agent) }
                cells.append("\(format(mean(results, \.erleDb))) / \(results.map(\.bargeIns).reduce(0, +))")
            }
            row(cells)
        }
    }
}

if tables.isEmpty || tables.contains("double-talk") {
    print("\n## Double talk: the caller talks over the agent (echo 200 ms, −6 dB; each voice's caller over the next voice's agent)\n")
    header(["graph", "median caller loss", "frames > 6 dB down", "echo down (lower bound)", "barge-in after onset", "false barge-ins"])
    var doubleTalkGraphs = graphs
    for level in ["low", "moderate"] {
        doubleTalkGraphs.append(("standard, aec-suppression=\(level)", standard(apm: "apm(aec-suppression=\(level))")))
    }
    for (name, spec) in doubleTalkGraphs {
        let results = try voices.indices.map { i in
            try DoubleTalkMeasurement(spec: spec, agent: voices[(i + 1) % voices.count].agent, caller: voices[i].caller,
                                      sentences: voices[i].sentences, path: EchoPath(delayMs: 200, attenuationDb: -6))
        }
        let reactions = results.compactMap(\.bargeInAfterMs)
        row([name, format(mean(results, \.medianLossDb)) + " dB", format(100 * mean(results, \.framesSixDbDown), 0) + " %",
             format(mean(results, \.echoDownDb)) + " dB",
             reactions.count < results.count ? "missed \(results.count - reactions.count)"
                : reactions.min() == reactions.max() ? "\(reactions[0]) ms" : "\(reactions.min()!)–\(reactions.max()!) ms",
             "\(results.map(\.falseBargeIns).reduce(0, +))"])
    }
}

if tables.isEmpty || tables.contains("noise") {
    print("\n## Noise suppression, agent silent (mean over voices)\n")
    header(["uplink", "clean speech loss", "clean frames > 6 dB down", "white 10 dB SNR: less noise in pauses", "babble 10 dB SNR", "brown 10 dB SNR"])
    // webrtc's suppressor at each level, then the VAD-driven gate over gentler levels.
    let uplinks = ["off", "low", "moderate", "high", "very-high"].map { "apm(ns=\($0))" }
        + ["apm(ns=off), silero-vad, speech-gate", "apm(ns=low), silero-vad, speech-gate", "apm(ns=low), vad, speech-gate"]
    // The last row: the neural VAD as a live call runs it, its decisions reaching the gate a frame later.
    let live = "apm(ns=off), silero-vad, speech-gate — live"
    for uplink in uplinks + [live] {
        let analysis: AnalysisPlacement = uplink == live ? .background : .inline
        let nodes = uplink == live ? "apm(ns=off), silero-vad, speech-gate" : uplink
        let spec = try GraphSpec(name: uplink, parsing: "mulaw-decode, \(nodes); echo-reference, mulaw-encode")
        var cells = [uplink]
        let clean = try voices.map {
            try NoiseSuppressionMeasurement(spec: spec, speech: $0.caller, sentences: $0.sentences, noise: nil, analysis: analysis)
        }
        cells.append(format(mean(clean, \.cleanLossDb), 2) + " dB")
        cells.append(format(100 * mean(clean, \.cleanFramesSixDbDown), 1) + " %")
        for kind in ["white", "babble", "brown"] {
            let noisy = try voices.map {
                try NoiseSuppressionMeasurement(spec: spec, speech: $0.caller, sentences: $0.sentences, noise: corpus.noises[kind], analysis: analysis)
            }
            cells.append(format(mean(noisy) { $0.noiseReductionDb ?? 0 }) + " dB")
        }
        row(cells)
    }
}

if tables.isEmpty || tables.contains("vad") {
    print("\n## Voice activity (the graph's speech events against the generator's timing; mean over voices)\n")
    header(["graph", "clean: frames right", "white 10 dB", "babble 10 dB", "brown 10 dB", "onset (median, clean)", "false starts in 60 s of noise (white/babble/brown)"])
    for (name, spec) in graphs where name != fixedDelay {
        var cells = [name]
        var clean: [VoiceActivityMeasurement] = []
        for noise in [nil, "white", "babble", "brown"] as [String?] {
            let results = try voices.map { try VoiceActivityMeasurement(spec: spec, speech: $0.caller, sentences: $0.sentences, noise: noise.flatMap { corpus.noises[$0] }) }
            if noise == nil { clean = results }
            cells.append(format(100 * mean(results, \.accuracy)) + " %")
        }
        let onsets = clean.flatMap { $0.onsetsMs.compactMap { $0 } }.sorted()
        cells.append(onsets.isEmpty ? "—" : "\(onsets[onsets.count / 2]) ms")
        cells.append(try ["white", "babble", "brown"].map { kind in
            String(try VoiceActivityMeasurement.falseStartsInNoise(spec: spec, noise: corpus.noises[kind]!, levelOf: voices[0].caller))
        }.joined(separator: " / "))
        row(cells)
    }
}

if tables.isEmpty || tables.contains("delay") {
    print("\n## Added delay (cross-correlation, speech through each direction)\n")
    header(["graph", "uplink (caller → agent)", "downlink (agent → caller)"])
    for (name, spec) in graphs where name != fixedDelay {
        let delay = try AddedDelayMeasurement(spec: spec, speech: voices[0].caller)
        row([name, format(delay.uplinkMs) + " ms", format(delay.downlinkMs) + " ms"])
    }
}
