import Bridge
import Foundation
import Histogram
import NIOCore
import NIOPosix
import NIOWebSocket

/// Plays Twilio for many concurrent calls against a voiced daemon and measures what comes back.
///
/// Each call connects at its slot in a linear ramp (plus a random 0–20 ms offset), sends `connected`
/// and `start`, then one 20 ms μ-law frame of real speech at a time on an absolute schedule
/// (frame k is due at t0 + 20k ms, however late the previous one was), then `stop`.
/// Frame i counts as returned when 160·(i+1) payload bytes have come back on that call; its
/// round-trip time is then minus the moment frame i was sent.
///
/// - Threading: `run()` from any task. Calls are spread over `clientThreads` event loops; each
///   loop's calls, histograms and ticker live on that loop only (``Shard``).
public final class LoadGenerator: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var path = "/twilio"
        public var calls = 1
        public var seconds = 10.0
        /// Seconds over which call starts are spread: default 1 s per 100 calls, at most 10 s.
        public var rampSeconds: Double?
        /// 20 ms μ-law frames to play; looped when the call is longer.
        public var frames: [[UInt8]] = []
        /// Server process to sample CPU and RSS from `/proc`.
        public var serverPID: Int32?
        /// Client event loops: default 1 (the load generator must keep up on one core).
        public var clientThreads = 1
        public init() {}
    }

    /// What a run measured. Times in milliseconds.
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

        /// The human table `voiced loadgen` prints.
        public var table: String {
            func f(_ v: Double?, _ digits: Int = 2) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }
            let rows: [(String, String)] = [
                ("calls (connected)", "\(calls) (\(callsConnected))"),
                ("seconds", f(seconds, 1)),
                ("frames sent / returned / lost", "\(framesSent) / \(framesReturned) / \(framesLost)"),
                ("RTT p50 / p90 / p99 / max (ms)", "\(f(rttP50Ms, 3)) / \(f(rttP90Ms, 3)) / \(f(rttP99Ms, 3)) / \(f(rttMaxMs, 3))"),
                ("send lateness p99 (ms)", f(sendLatenessP99Ms, 3)),
                ("loadgen CPU (% of one core)", f(loadgenCPUPercent, 1)),
                ("server CPU-ms per call-second", f(serverCPUMsPerCallSecond, 3)),
                ("server RSS (MB)", f(serverRSSMB, 1)),
                ("server RSS per call (KB)", f(serverRSSPerCallKB, 1)),
            ]
            let width = rows.map(\.0.count).max()!
            return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
        }
    }

    public let configuration: Configuration
    public init(configuration: Configuration) { self.configuration = configuration }

    public func run() async throws -> Report {
        let config = configuration
        precondition(!config.frames.isEmpty, "no audio frames to play")
        let encoded = config.frames.map { Array(TwilioMessages.base64($0).utf8) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, config.clientThreads))
        defer { group.shutdownGracefully { _ in } }
        let framesPerCall = Int(config.seconds * 1000) / 20
        let ramp = config.rampSeconds ?? min(10, Double(config.calls) / 100)
        let loops = Array(group.makeIterator())
        let shards = loops.map { Shard(loop: $0, frames: encoded, framesPerCall: framesPerCall) }
        let rssBefore = config.serverPID.flatMap(ProcessSampler.rssBytes)
        let usageBefore = ProcessSampler.selfCPUSeconds()
        let started = Date()

        // Connect every call at its slot in the ramp.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for i in 0..<config.calls {
                let shard = shards[i % shards.count]
                let delay = ramp * Double(i) / Double(max(1, config.calls)) + Double.random(in: 0..<0.02)
                tasks.addTask {
                    try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                    await shard.startCall(host: config.host, port: config.port, path: config.path)
                }
            }
            for shard in shards { try await shard.startTicker() }
            try await tasks.waitForAll()
        }

        // Steady state: every call is on. Sample the server over the middle of the run.
        let steadyStart = Date()
        let cpuBefore = config.serverPID.flatMap(ProcessSampler.cpuSeconds)
        let window = max(0.5, config.seconds - 1.0)
        try await Task.sleep(nanoseconds: UInt64(window * 1e9))
        let cpuAfter = config.serverPID.flatMap(ProcessSampler.cpuSeconds)
        let steadySeconds = Date().timeIntervalSince(steadyStart)
        let rssPeak = config.serverPID.flatMap(ProcessSampler.rssBytes)

        // Wait for every call to finish sending and draining (at most seconds + 5 s more).
        let deadline = Date().addingTimeInterval(config.seconds + 5)
        while Date() < deadline {
            var done = true
            for shard in shards where !(try await shard.allFinished()) { done = false }
            if done { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        for shard in shards { try await shard.stopAll() }

        var rtt = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var lateness = rtt
        var sent: UInt64 = 0, returned: UInt64 = 0, connected = 0
        for shard in shards {
            let s = try await shard.totals()
            rtt.add(s.rtt)
            lateness.add(s.lateness)
            sent += s.sent
            returned += s.returned
            connected += s.connected
        }
        let elapsed = Date().timeIntervalSince(started)
        let usage = ProcessSampler.selfCPUSeconds() - usageBefore
        func ms(_ us: UInt64) -> Double { Double(us) / 1000 }
        var report = Report(
            calls: config.calls, callsConnected: connected, seconds: config.seconds,
            framesSent: sent, framesReturned: returned, framesLost: sent - min(sent, returned),
            rttP50Ms: ms(rtt.valueAtPercentile(50)), rttP90Ms: ms(rtt.valueAtPercentile(90)),
            rttP99Ms: ms(rtt.valueAtPercentile(99)), rttMaxMs: ms(rtt.max),
            sendLatenessP99Ms: ms(lateness.valueAtPercentile(99)),
            loadgenCPUPercent: 100 * usage / elapsed)
        if let cpuBefore, let cpuAfter, connected > 0 {
            report.serverCPUMsPerCallSecond = (cpuAfter - cpuBefore) * 1000 / (Double(connected) * steadySeconds)
        }
        if let rssPeak {
            report.serverRSSMB = Double(rssPeak) / 1_048_576
            if let rssBefore, connected > 0 { report.serverRSSPerCallKB = Double(rssPeak - rssBefore) / 1024 / Double(connected) }
        }
        return report
    }
}

/// The calls of one client event loop, with their ticker and histograms.
///
/// - Threading: every stored property is touched only on `loop` (async members hop there).
private final class Shard: @unchecked Sendable {
    // @unchecked Sendable: confined to `loop`; every entry point hops onto it.

    final class Call {
        let messages = TwilioMessages.random()
        var client: WebSocketClient?
        var t0: UInt64 = 0
        var next = 0
        var sequence = 3
        var sendTimes: [UInt64]
        var bytesReturned = 0
        var framesReturned = 0
        var stopped = false
        init(frames: Int) { sendTimes = Array(repeating: 0, count: frames) }
    }

    let loop: EventLoop
    let frames: [[UInt8]]
    let framesPerCall: Int
    var calls: [Call] = []
    var rtt = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var lateness = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    let tape = JSONTape(maxTokens: 64)
    var ticker: RepeatedTask?
    /// Masking keys for client frames: any value satisfies RFC 6455 for a load generator, and the
    /// system generator costs a syscall per frame.
    var maskKeys = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))

    init(loop: EventLoop, frames: [[UInt8]], framesPerCall: Int) {
        self.loop = loop
        self.frames = frames
        self.framesPerCall = framesPerCall
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func startCall(host: String, port: Int, path: String) async {
        let call = Call(frames: framesPerCall)
        do {
            let client = try await WebSocketClient.connect(host: host, port: port, path: path, group: loop) { [self] frame in
                received(frame, call: call)
            }
            try await loop.submit { [self] in
                call.client = client
                client.send(text: call.messages.connected)
                client.send(text: call.messages.start(sequence: 1, parameters: ["loadgen": "1"]))
                call.t0 = Self.now()
                calls.append(call)
            }.get()
        } catch {
            // Counted as not connected.
        }
    }

    func startTicker() async throws {
        try await loop.submit { [self] in
            ticker = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { [self] _ in tick() }
        }.get()
    }

    /// Sends every frame that is due, on the absolute schedule.
    private func tick() {
        let now = Self.now()
        for call in calls where !call.stopped {
            guard let client = call.client else { continue }
            var wrote = false
            while call.next < framesPerCall {
                let due = call.t0 + UInt64(call.next) * 20_000_000
                guard due <= now else { break }
                var buffer = client.channel.allocator.buffer(capacity: 400)
                let k = call.next
                call.messages.writeMedia(into: &buffer, sequence: call.sequence, chunk: k + 1, timestampMs: k * 20,
                                         base64Payload: frames[k % frames.count])
                client.channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(using: &maskKeys), data: buffer), promise: nil)
                call.sendTimes[k] = Self.now()
                lateness.record((now - due) / 1000)
                call.next += 1
                call.sequence += 1
                wrote = true
            }
            if wrote { client.channel.flush() }
        }
    }

    private func received(_ frame: WebSocketFrame, call: Call) {
        guard frame.opcode == .text else { return }
        let now = Self.now()
        frame.unmaskedData.withUnsafeReadableBytes { bytes in
            guard (try? tape.parse(bytes)) != nil, let payload = tape.outboundMediaPayload() else { return }
            let n = Base64.decodedCount(tape.raw(payload))
            call.bytesReturned += n
            while (call.framesReturned + 1) * 160 <= call.bytesReturned, call.framesReturned < call.next {
                rtt.record((now - call.sendTimes[call.framesReturned]) / 1000)
                call.framesReturned += 1
            }
        }
    }

    func allFinished() async throws -> Bool {
        try await loop.submit { [self] in
            calls.allSatisfy { $0.next >= framesPerCall && $0.framesReturned >= $0.next }
        }.get()
    }

    func stopAll() async throws {
        let clients: [WebSocketClient] = try await loop.submit { [self] in
            ticker?.cancel()
            for call in calls where !call.stopped {
                call.stopped = true
                call.client?.send(text: call.messages.stop(sequence: call.sequence))
            }
            return calls.compactMap(\.client)
        }.get()
        for client in clients { await client.close() }
    }

    func totals() async throws -> (rtt: Histogram<UInt64>, lateness: Histogram<UInt64>, sent: UInt64, returned: UInt64, connected: Int) {
        try await loop.submit { [self] in
            (rtt, lateness, UInt64(calls.reduce(0) { $0 + $1.next }), UInt64(calls.reduce(0) { $0 + $1.framesReturned }), calls.count)
        }.get()
    }
}

/// Reads a process's CPU time and resident memory from `/proc`.
enum ProcessSampler {
    /// utime + stime of `pid`, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmRSS of `pid`, in bytes.
    static func rssBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }

    /// This process's user + system CPU seconds.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

