import Foundation
import Histogram

extension LoadGenerator {
    /// What a run measured. Times in milliseconds.
    ///
    /// In fake-agent mode the RTT figures are 0 (nothing is echoed), `framesReturned` counts frames
    /// the agent received and `framesLost` those it never did; ``agent`` holds the rest.
    public struct Report: Codable, Sendable {
        public var calls: Int
        public var callsConnected: Int
        public var seconds: Double
        public var framesSent: UInt64
        public var framesReturned: UInt64
        public var framesLost: UInt64
        public var rttP50Ms: Double
        public var rttP90Ms: Double
        public var rttP99Ms: Double
        public var rttMaxMs: Double
        public var sendLatenessP99Ms: Double
        public var loadgenCPUPercent: Double
        public var serverCPUMsPerCallSecond: Double?
        public var serverRSSMB: Double?
        public var serverRSSPerCallKB: Double?
        /// Fake-agent mode only (absent from echo runs' JSON).
        public var agent: AgentFigures?

        /// The human table `voiced loadgen` prints.
        public var table: String {
            func f(_ v: Double?, _ digits: Int = 2) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }
            var rows: [(String, String)] = [
                ("calls (connected)", "\(calls) (\(callsConnected))"),
                ("seconds", f(seconds, 1)),
            ]
            if let agent {
                rows += agent.rows
            } else {
                rows += [
                    ("frames sent / returned / lost", "\(framesSent) / \(framesReturned) / \(framesLost)"),
                    ("RTT p50 / p90 / p99 / max (ms)", "\(f(rttP50Ms, 3)) / \(f(rttP90Ms, 3)) / \(f(rttP99Ms, 3)) / \(f(rttMaxMs, 3))"),
                ]
            }
            rows += [
                ("send lateness p99 (ms)", f(sendLatenessP99Ms, 3)),
                ("loadgen CPU (% of one core)", f(loadgenCPUPercent, 1)),
                ("server CPU-ms per call-second", f(serverCPUMsPerCallSecond, 3)),
                ("server RSS (MB)", f(serverRSSMB, 1)),
                ("server RSS per call (KB)", f(serverRSSPerCallKB, 1)),
            ]
            if let threads = agent?.serverThreads, !threads.isEmpty {
                rows.append(("server threads (CPU-ms per call-s)",
                             threads.map { "\($0.name) \(f($0.cpuMsPerCallSecond, 3))" }.joined(separator: ", ")))
            }
            let width = rows.map(\.0.count).max()!
            return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        }
    }
}

extension LoadGenerator.Report {
    /// A latency distribution: how many were measured, and percentiles in ms.
    public struct Latency: Codable, Sendable {
        public var count: UInt64
        public var p50Ms: Double
        public var p99Ms: Double
        public var maxMs: Double

        /// From a histogram of µs.
        init(_ histogram: Histogram<UInt64>) {
            count = histogram.totalCount
            p50Ms = count == 0 ? 0 : Double(histogram.valueAtPercentile(50)) / 1000
            p99Ms = count == 0 ? 0 : Double(histogram.valueAtPercentile(99)) / 1000
            maxMs = count == 0 ? 0 : Double(histogram.max) / 1000
        }

        var text: String {
            String(format: "%.2f / %.2f / %.2f (%llu)", p50Ms, p99Ms, maxMs, count)
        }
    }

    /// One server thread's CPU over the steady window (`/proc/PID/task/*/stat`).
    public struct ThreadCPU: Codable, Sendable {
        /// The thread's name (`comm`), with its id when names repeat.
        public var name: String
        public var cpuMsPerCallSecond: Double

        /// Threads that used any CPU between two samples, busiest first.
        static func between(_ before: [Int32: (name: String, seconds: Double)], _ after: [Int32: (name: String, seconds: Double)],
                            calls: Int, seconds: Double) -> [ThreadCPU]? {
            guard !after.isEmpty, calls > 0, seconds > 0 else { return nil }
            let names = after.values.map(\.name)
            return after.compactMap { tid, sample -> ThreadCPU? in
                let used = sample.seconds - (before[tid]?.seconds ?? 0)
                guard used > 0 else { return nil }
                let name = names.filter { $0 == sample.name }.count > 1 ? "\(sample.name)#\(tid)" : sample.name
                return ThreadCPU(name: name, cpuMsPerCallSecond: used * 1000 / (Double(calls) * seconds))
            }.sorted { $0.cpuMsPerCallSecond > $1.cpuMsPerCallSecond }
        }
    }

    /// What fake-agent mode measured (``LoadGenerator/FakeAgent``).
    public struct AgentFigures: Codable, Sendable {
        /// Where the fake listened.
        public var fakeAgentPort = 0
        /// Upgrades the fake accepted: the connected calls, unless voiced reconnected one.
        public var agentConnections = 0
        /// Audio in each answer, ms.
        public var responseAudioMs = 0
        /// Frames the calls sent, and those the fake received as `input_audio_buffer.append`.
        public var framesSent: UInt64 = 0
        public var framesAppended: UInt64 = 0
        /// Frames sent whose append never reached the fake.
        public var appendsLost: UInt64 = 0
        /// Appends whose audio differs from the frame sent (checksum): 0 expected when μ-law passes
        /// through (`--graph passthrough`); a graph that processes the uplink changes every frame.
        public var appendPayloadMismatches: UInt64 = 0
        /// Caller frame sent → its append read by the fake (appends of a connection matched to its
        /// call's frames in order).
        public var uplink = Latency(Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))
        /// Responses with audio the fake sent, and those followed by `media` on their call before
        /// the next one started.
        public var responses = 0
        public var responsesHeard = 0
        /// A response's first delta written by the fake → the next `media` read by its call.
        public var downlink = Latency(Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))
        /// Sentences that started while the call was playing agent audio.
        public var interruptions = 0
        /// … followed by a `clear` (measured in ``bargeIn``), and those the next interruption or the
        /// end of the call found still waiting.
        public var interruptionsCleared = 0
        public var interruptionsMissed = 0
        /// `clear`s that came with no interruption waiting.
        public var clearsWithoutInterruption = 0
        /// First frame of an interrupting sentence sent → the call's next `clear`.
        public var bargeIn = Latency(Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))
        /// `media` messages the calls received, and marks they returned once played (or cleared).
        public var mediaReceived: UInt64 = 0
        public var marksReturned: UInt64 = 0
        /// Per server thread, over the steady window (with `--server-pid`).
        public var serverThreads: [ThreadCPU]?

        var rows: [(String, String)] {
            [
                ("agent connections", "\(agentConnections) (fake on 127.0.0.1:\(fakeAgentPort), \(responseAudioMs) ms answers)"),
                ("frames sent / appended / lost", "\(framesSent) / \(framesAppended) / \(appendsLost)"),
                ("append payload mismatches", "\(appendPayloadMismatches)"),
                ("uplink p50 / p99 / max (ms)", uplink.text),
                ("responses sent / heard", "\(responses) / \(responsesHeard)"),
                ("downlink first audio p50 / p99 / max (ms)", downlink.text),
                ("interruptions cleared / missed", "\(interruptionsCleared) / \(interruptionsMissed) of \(interruptions)"),
                ("clears without interruption", "\(clearsWithoutInterruption)"),
                ("barge-in reaction p50 / p99 / max (ms)", bargeIn.text),
                ("media received / marks returned", "\(mediaReceived) / \(marksReturned)"),
            ]
        }

        /// Joins what the calls recorded with the fake's traces: connection i (accept order) is
        /// the i-th connected call (start order).
        static func join(calls: [LoadShard.CallRecord], traces: [FakeRealtimeServer.Trace], frames: [[UInt8]],
                         bargeIn: Histogram<UInt64>) -> AgentFigures {
            var figures = AgentFigures()
            var uplink = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var downlink = uplink
            let checksums = frames.map { frame in frame.withUnsafeBytes { FakeRealtimeServer.checksum($0) } }
            for (i, call) in calls.enumerated() {
                figures.framesSent += UInt64(call.sendNanos.count)
                figures.mediaReceived += UInt64(call.mediaMessages)
                figures.marksReturned += UInt64(call.marksReturned)
                figures.interruptions += call.interruptions
                figures.interruptionsCleared += call.interruptionsCleared
                figures.interruptionsMissed += call.interruptionsMissed
                figures.clearsWithoutInterruption += call.clearsWithoutInterruption
                guard i < traces.count else {
                    figures.appendsLost += UInt64(call.sendNanos.count)
                    continue
                }
                let trace = traces[i]
                let appended = trace.appendArrivalNanos.count + trace.appendsNotTraced
                figures.framesAppended += UInt64(appended)
                figures.appendsLost += UInt64(max(0, call.sendNanos.count - appended))
                for k in 0..<min(call.sendNanos.count, trace.appendArrivalNanos.count) {
                    let arrival = trace.appendArrivalNanos[k], sent = call.sendNanos[k]
                    uplink.record(arrival > sent ? (arrival - sent) / 1000 : 0)
                    if trace.appendChecksums[k] != checksums[k % checksums.count] { figures.appendPayloadMismatches += 1 }
                }
                // Downlink: each response's first delta → the first media after it, before the next response.
                let starts = trace.responseFirstDeltaNanos
                figures.responses += starts.count + trace.responsesNotTraced
                var m = 0
                for (r, start) in starts.enumerated() {
                    while m < call.mediaNanos.count, call.mediaNanos[m] < start { m += 1 }
                    guard m < call.mediaNanos.count else { break }
                    if r + 1 < starts.count, call.mediaNanos[m] >= starts[r + 1] { continue }
                    downlink.record((call.mediaNanos[m] - start) / 1000)
                    figures.responsesHeard += 1
                }
            }
            figures.uplink = Latency(uplink)
            figures.downlink = Latency(downlink)
            figures.bargeIn = Latency(bargeIn)
            return figures
        }
    }
}
