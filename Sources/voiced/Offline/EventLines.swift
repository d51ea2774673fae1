import Bridge
import Foundation
import MediaGraph

/// `voiced process --jsonl`: JSON Lines a researcher can diff and load — one line per event (the
/// shapes the bot protocol uses: `speech_started`, `speech_stopped`, `barge_in`, `node_event`),
/// one `file` line per file with its per-node time, and a `total` line.
///
/// ```
/// {"file":"a.wav","type":"speech_started","media_ms":1840}
/// {"file":"a.wav","type":"node_event","name":"dtmf","detail":"5","value":-13.1,"media_ms":3020}
/// {"file":"a.wav","type":"file","frames":900,"cpu_us_per_frame":61.2,"nodes":[{"node":"uplink.vad","p50_ns":800,"p99_ns":2100}]}
/// {"type":"total","files":12,"failed":0,"frames":10800,"nodes":[…]}
/// ```
enum EventLines {
    static func event(_ event: MediaEvent, file: String) -> String {
        let head = #"{"file":\#(JSONStringEscaper.quoted(file)),"type":"#
        return switch event {
        case let .speechStarted(ms): head + #""speech_started","media_ms":\#(ms)}"#
        case let .speechStopped(ms): head + #""speech_stopped","media_ms":\#(ms)}"#
        case let .bargeIn(ms): head + #""barge_in","media_ms":\#(ms)}"#
        case let .node(e):
            head + #""node_event","name":\#(JSONStringEscaper.quoted(e.name.description)),"detail":\#(JSONStringEscaper.quoted(e.detail.description)),"value":\#(number(e.value)),"media_ms":\#(e.mediaMs)}"#
        }
    }

    static func file(_ file: String, frames: Int, cpuNanos: UInt64, nodes: [(node: String, histogram: LatencyHistogram)]) -> String {
        #"{"file":\#(JSONStringEscaper.quoted(file)),"type":"file","frames":\#(frames),"cpu_us_per_frame":\#(number(Double(cpuNanos) / Double(max(1, frames)) / 1000)),"nodes":\#(timings(nodes))}"#
    }

    static func failed(_ file: String, reason: String) -> String {
        #"{"file":\#(JSONStringEscaper.quoted(file)),"type":"error","reason":\#(JSONStringEscaper.quoted(reason))}"#
    }

    static func total(files: Int, failed: Int, frames: Int, nodes: [(node: String, histogram: LatencyHistogram)]) -> String {
        #"{"type":"total","files":\#(files),"failed":\#(failed),"frames":\#(frames),"nodes":\#(timings(nodes))}"#
    }

    private static func timings(_ nodes: [(node: String, histogram: LatencyHistogram)]) -> String {
        "[" + nodes.map { #"{"node":\#(JSONStringEscaper.quoted($0.node)),"p50_ns":\#($0.histogram.nanos(atPercentile: 50)),"p99_ns":\#($0.histogram.nanos(atPercentile: 99))}"# }
            .joined(separator: ",") + "]"
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", value) : "null"
    }
}
