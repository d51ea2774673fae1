import Bridge
import Histogram
import MediaGraph
import NIOCore
import NIOWebSocket

/// The calls of one client event loop of ``LoadGenerator``, with their ticker and histograms.
///
/// Every 1 ms tick sends each call's due frames on the absolute schedule and, in fake-agent mode,
/// advances each call's ``ProviderPlayback`` every 5 ms; what the server sends is handled as it
/// arrives. Per frame nothing is allocated but the message buffers NIO writes: send and arrival
/// times go into arrays allocated when the call starts, latencies into histograms.
///
/// - Threading: every stored property is touched only on `loop` (async members hop there).
/// - Ownership: owns its calls and their clients; `stopAll` closes them.
/// - Realtime: unsafe (NIO writes allocate); load-generator code only.
final class LoadShard: @unchecked Sendable {
    // @unchecked Sendable: confined to `loop`; every entry point hops onto it.

    /// Fake-agent mode: what every call shares.
    struct Playback: Sendable {
        /// True at the frames (of one loop of the audio) where a sentence starts.
        var sentenceStarts: [Bool]
    }

    /// What one call recorded in fake-agent mode, copied out at the end.
    struct CallRecord: Sendable {
        /// Start order, from 0.
        var index: Int
        /// When each frame went out (CLOCK_MONOTONIC ns), frame k at k.
        var sendNanos: [UInt64]
        /// When each `media` message arrived, oldest first (as many as fitted).
        var mediaNanos: [UInt64]
        var mediaMessages: Int
        var marksReturned: Int
        var interruptions: Int
        var interruptionsCleared: Int
        var interruptionsMissed: Int
        var clearsWithoutInterruption: Int
    }

    /// One call. `@unchecked Sendable`: like the shard, touched only on `loop` (the client's frame
    /// callback runs there too).
    final class Call: @unchecked Sendable {
        let index: Int
        let messages = TwilioMessages.random()
        var client: WebSocketClient?
        var t0: UInt64 = 0
        var next = 0
        var sequence = 3
        var sendTimes: [UInt64]
        var bytesReturned = 0
        var framesReturned = 0
        var stopped = false
        // Fake-agent mode.
        var playback: ProviderPlayback?
        var mediaNanos: [UInt64] = []
        var mediaMessages = 0
        var clears = 0
        /// Send time of the first frame of the sentence now interrupting the agent; 0 when none waits for a `clear`.
        var interruptionNanos: UInt64 = 0
        var interruptions = 0
        var interruptionsCleared = 0
        var interruptionsMissed = 0
        var clearsWithoutInterruption = 0
        /// A message was written and awaits a flush.
        var unflushed = false

        init(index: Int, frames: Int, fakeAgent: Bool) {
            self.index = index
            sendTimes = Array(repeating: 0, count: frames)
            // Agent audio arrives paced at real time, plus a lead after each clear.
            if fakeAgent { mediaNanos = Array(repeating: 0, count: 2 * frames + 256) }
        }

        var record: CallRecord {
            CallRecord(
                index: index, sendNanos: Array(sendTimes[0..<next]), mediaNanos: Array(mediaNanos[0..<min(mediaMessages, mediaNanos.count)]),
                mediaMessages: mediaMessages, marksReturned: playback?.marksReturned ?? 0, interruptions: interruptions,
                interruptionsCleared: interruptionsCleared,
                interruptionsMissed: interruptionsMissed + (interruptionNanos != 0 ? 1 : 0),
                clearsWithoutInterruption: clearsWithoutInterruption)
        }
    }

    let loop: EventLoop
    /// Twilio: base64 of each μ-law frame. Another provider (``wire``): each frame in its format.
    let frames: [[UInt8]]
    let framesPerCall: Int
    let playback: Playback?
    /// The provider spoken, when not Twilio (echo mode only).
    let wire: (any ProviderWire)?
    var calls: [Call] = []
    var rtt = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var lateness = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Fake-agent mode: interrupting sentence's first frame → `clear`, µs.
    var bargeIn = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    let tape = JSONTape(maxTokens: 64)
    var ticker: RepeatedTask?
    var lastPlaybackNanos: UInt64 = 0
    /// Masking keys for client frames: any value satisfies RFC 6455 for a load generator, and the
    /// system generator costs a syscall per frame.
    var maskKeys = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))

    /// How often the calls' playback clocks advance: 5 ms.
    static let playbackTickNanos: UInt64 = 5_000_000

    init(loop: EventLoop, frames: [[UInt8]], framesPerCall: Int, playback: Playback?, wire: (any ProviderWire)? = nil) {
        self.loop = loop
        self.frames = frames
        self.framesPerCall = framesPerCall
        self.playback = playback
        self.wire = wire
    }

    /// Bytes of one returned frame: μ-law for Twilio, the wire's frame otherwise.
    private var bytesPerFrame: Int { wire?.bytesPerFrame ?? 160 }

    static func now() -> UInt64 { MonotonicClock.nanos() }

    /// Connects call `index` and sends `connected` and `start`; a call that cannot connect is not
    /// counted as connected.
    func startCall(index: Int, host: String, port: Int, path: String) async {
        let call = Call(index: index, frames: framesPerCall, fakeAgent: playback != nil)
        do {
            let client = try await WebSocketClient.connect(host: host, port: port, path: path, group: loop) { [self] frame in
                received(frame, call: call)
            }
            try await loop.submit { [self] in
                call.client = client
                if playback != nil {
                    // Twilio's side of the stream: play at real time, return marks once played.
                    call.playback = ProviderPlayback(externallyTickedOn: loop) { [unowned self, unowned call] name in
                        writeMark(name, call: call)
                    }
                }
                if let wire {
                    for message in wire.opening(parameters: ["loadgen": "1"]) { client.send(message) }
                } else {
                    client.send(text: call.messages.connected)
                    client.send(text: call.messages.start(sequence: 1, parameters: ["loadgen": "1"]))
                }
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

    /// Sends every frame that is due, on the absolute schedule (and advances playback).
    private func tick() {
        let now = Self.now()
        let advancePlayback = playback != nil && now &- lastPlaybackNanos >= Self.playbackTickNanos
        if advancePlayback { lastPlaybackNanos = now }
        for call in calls where !call.stopped {
            guard let client = call.client else { continue }
            if advancePlayback { call.playback?.advance(nowNanos: now) }
            if let wire {
                sendDue(wire, call, client, now: now)
                flush(call, client)
                continue
            }
            while call.next < framesPerCall {
                let due = call.t0 + UInt64(call.next) * 20_000_000
                guard due <= now else { break }
                var buffer = client.channel.allocator.buffer(capacity: 400)
                let k = call.next
                call.messages.writeMedia(into: &buffer, sequence: call.sequence, chunk: k + 1, timestampMs: k * 20,
                                         base64Payload: frames[k % frames.count])
                client.channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(using: &maskKeys), data: buffer), promise: nil)
                let sent = Self.now()
                call.sendTimes[k] = sent
                lateness.record((now - due) / 1000)
                call.next += 1
                call.sequence += 1
                call.unflushed = true
                if let playback, playback.sentenceStarts[k % frames.count], let player = call.playback, player.queuedBytes > 0 {
                    // A sentence starts over the agent: a barge-in, answered by the next clear.
                    if call.interruptionNanos != 0 { call.interruptionsMissed += 1 }
                    call.interruptionNanos = sent
                    call.interruptions += 1
                }
            }
            flush(call, client)
        }
    }

    /// Another provider's messages: each carries `framesPerMessage` frames and goes when its last
    /// frame is due (a provider sends what it has captured); its frames share its send time.
    private func sendDue(_ wire: any ProviderWire, _ call: Call, _ client: WebSocketClient, now: UInt64) {
        let per = wire.framesPerMessage
        while call.next < framesPerCall {
            let last = min(call.next + per, framesPerCall) - 1
            let due = call.t0 + UInt64(last) * 20_000_000
            guard due <= now else { break }
            let audio = (call.next...last).flatMap { frames[$0 % frames.count] }
            let message = wire.media(audio, chunk: call.next / per + 1, timestampMs: call.next * 20)
            let frame: WebSocketFrame
            switch message {
            case let .text(text):
                frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(using: &maskKeys), data: client.channel.allocator.buffer(string: text))
            case let .binary(bytes):
                frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(using: &maskKeys), data: client.channel.allocator.buffer(bytes: bytes))
            }
            client.channel.write(frame, promise: nil)
            let sent = Self.now()
            for k in call.next...last { call.sendTimes[k] = sent }
            lateness.record((now - due) / 1000)
            call.next = last + 1
            call.unflushed = true
        }
    }

    private func flush(_ call: Call, _ client: WebSocketClient) {
        guard call.unflushed else { return }
        call.unflushed = false
        client.channel.flush()
    }

    private func received(_ frame: WebSocketFrame, call: Call) {
        if let wire { return receivedEcho(frame, wire: wire, call: call) }
        guard frame.opcode == .text else { return }
        let now = Self.now()
        guard playback == nil else { return receivedFromAgent(frame, call: call, now: now) }
        frame.unmaskedData.withUnsafeReadableBytes { bytes in
            guard (try? tape.parse(bytes)) != nil, let payload = tape.outboundMediaPayload() else { return }
            countReturned(Base64.decodedCount(tape.raw(payload)), call: call, now: now)
        }
    }

    /// Another provider's echo: its media messages, read by the wire.
    private func receivedEcho(_ frame: WebSocketFrame, wire: any ProviderWire, call: Call) {
        let now = Self.now()
        let message: ServerMessage = switch frame.opcode {
        case .text: wire.read(text: String(buffer: frame.unmaskedData))
        case .binary: wire.read(binary: Array(buffer: frame.unmaskedData))
        default: .other
        }
        if case let .media(audio) = message { countReturned(audio.count, call: call, now: now) }
    }

    /// `bytes` of echo came back: each frame now complete has made its round trip.
    private func countReturned(_ bytes: Int, call: Call, now: UInt64) {
        call.bytesReturned += bytes
        while (call.framesReturned + 1) * bytesPerFrame <= call.bytesReturned, call.framesReturned < call.next {
            rtt.record((now - call.sendTimes[call.framesReturned]) / 1000)
            call.framesReturned += 1
        }
    }

    /// Fake-agent mode: `media` is played, `mark` queued behind it, `clear` honoured (and closes a
    /// barge-in measurement).
    private func receivedFromAgent(_ frame: WebSocketFrame, call: Call, now: UInt64) {
        guard let player = call.playback, let client = call.client else { return }
        frame.unmaskedData.withUnsafeReadableBytes { bytes in
            guard (try? tape.parse(bytes)) != nil, let event = tape.member("event", of: 0) else { return }
            if tape.equals(event, "media") {
                guard let payload = tape.outboundMediaPayload() else { return }
                if call.mediaMessages < call.mediaNanos.count { call.mediaNanos[call.mediaMessages] = now }
                call.mediaMessages += 1
                player.media(bytes: Base64.decodedCount(tape.raw(payload)))
            } else if tape.equals(event, "mark") {
                guard let mark = tape.member("mark", of: 0), let name = tape.member("name", of: mark),
                      let text = tape.string(name) else { return }
                player.mark(text)
            } else if tape.equals(event, "clear") {
                call.clears += 1
                player.clear()
                if call.interruptionNanos != 0 {
                    bargeIn.record(now > call.interruptionNanos ? (now - call.interruptionNanos) / 1000 : 0)
                    call.interruptionsCleared += 1
                    call.interruptionNanos = 0
                } else {
                    call.clearsWithoutInterruption += 1
                }
            }
        }
        flush(call, client)
    }

    /// Answers a played (or cleared) mark as Twilio does.
    private func writeMark(_ name: String, call: Call) {
        guard let client = call.client, !call.stopped else { return }
        var buffer = client.channel.allocator.buffer(capacity: 160 + name.utf8.count)
        call.messages.writeMark(into: &buffer, sequence: call.sequence, name: name)
        call.sequence += 1
        client.channel.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(using: &maskKeys), data: buffer), promise: nil)
        call.unflushed = true
    }

    /// Every call sent all its frames (echo mode: and got them all back).
    func allFinished() async throws -> Bool {
        try await loop.submit { [self] in
            calls.allSatisfy { $0.next >= framesPerCall && (playback != nil || $0.framesReturned >= $0.next) }
        }.get()
    }

    func framesSent() async throws -> Int {
        try await loop.submit { [self] in calls.reduce(0) { $0 + $1.next } }.get()
    }

    func stopAll() async throws {
        let clients: [WebSocketClient] = try await loop.submit { [self] in
            ticker?.cancel()
            for call in calls where !call.stopped {
                call.stopped = true
                if let wire {
                    if let stop = wire.stop() { call.client?.send(stop) }
                } else {
                    call.client?.send(text: call.messages.stop(sequence: call.sequence))
                }
            }
            return calls.compactMap(\.client)
        }.get()
        for client in clients { await client.close() }
    }

    func totals() async throws -> (rtt: Histogram<UInt64>, lateness: Histogram<UInt64>, bargeIn: Histogram<UInt64>,
                                   sent: UInt64, returned: UInt64, connected: Int) {
        try await loop.submit { [self] in
            (rtt, lateness, bargeIn, UInt64(calls.reduce(0) { $0 + $1.next }), UInt64(calls.reduce(0) { $0 + $1.framesReturned }), calls.count)
        }.get()
    }

    /// Fake-agent mode: what each call recorded.
    func records() async throws -> [CallRecord] {
        try await loop.submit { [self] in calls.map(\.record) }.get()
    }
}
