import MediaGraph
import Testing
import MediaTesting

/// A call on a real media thread, driven from the test thread as its I/O side.
@Suite struct CallPipelineTests {
    /// A frame with every μ-law byte but 0x7F (the one G.711 round trip changes), shifted by `seed`.
    static func frame(_ seed: Int) -> [UInt8] {
        (0..<160).map { i in
            let b = UInt8((i + seed) % 256)
            return b == 0x7F ? 0x7E : b
        }
    }

    /// Echoes uplink frames back and reads downlink frames until `frames` arrived or `timeout`
    /// passed. Always reads once more after the deadline: on a loaded 2-core machine the task itself
    /// may have been starved past it (synchronous DSP tests can hold both of Swift's cooperative
    /// threads for seconds), hence the long default; a passing run returns as soon as all arrived.
    static func collect(_ call: CallPipeline, on thread: MediaThread, frames: Int, timeout: Duration = .seconds(60)) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let late = ContinuousClock.now >= deadline
            out += call.echoStep(waking: thread)
            if out.count >= frames || late { return out }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    static func retire(_ call: CallPipeline, from thread: MediaThread) async throws {
        thread.detach(call)
        var retired = false
        for _ in 0..<1000 where !retired {
            call.doorbell.drain { id, event in retired = retired || (id == call.callID && event == .retired) }
            if !retired { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(retired, "the doorbell announced the retirement")
        #expect(call.isRetired)
    }

    static func makeCall(_ id: UInt64, configuration: CallPipeline.Configuration = .unpaced) throws -> CallPipeline {
        try CallPipeline(callID: id, spec: .passthrough, providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: 8000),
                         doorbell: Doorbell(mediaThreads: 1, callsPerThread: 4), configuration: configuration)
    }

    @Test func echoReturnsEveryFrameIdenticalAndInOrder() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeCall(1)
        try thread.attach(call)
        let sent = (0..<40).map(Self.frame)
        for f in sent {
            #expect(f.withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) } == 0)
            thread.requestWake()
        }
        let back = try await Self.collect(call, on: thread, frames: 40)
        #expect(back == sent)
        #expect(call.uplinkFrames == 40)
        #expect(call.downlinkFrames == 40)
        #expect(call.uplinkLatency.count == 40)
        #expect(call.downlinkLatency.count == 40)
        try await Self.retire(call, from: thread)
        #expect(thread.attachedCalls == 0)
        thread.stop()
    }

    /// Above `immediateWakeMaxCalls` the thread ignores wake requests and serves calls on its batch tick.
    @Test func batchingThreadServesCallsOnItsTick() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4, immediateWakeMaxCalls: 0, batchInterval: .milliseconds(2)))
        let call = try Self.makeCall(8)
        try thread.attach(call)
        let sent = (0..<10).map(Self.frame)
        for f in sent {
            _ = f.withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(try await Self.collect(call, on: thread, frames: 10) == sent)
        #expect(thread.wakeups > 0)
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    @Test func payloadsOfAnySizeAreReassembledIntoFrames() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeCall(2)
        try thread.attach(call)
        let stream = (0..<4).flatMap(Self.frame)
        var offset = 0
        for size in [100, 60, 300, 20] {
            _ = stream[offset..<(offset + size)].withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
            offset += size
        }
        thread.requestWake()
        let back = try await Self.collect(call, on: thread, frames: 3)
        #expect(back.flatMap { $0 } == Array(stream[0..<480]), "three whole frames; the 0-byte remainder waits")
        #expect(try await Self.collect(call, on: thread, frames: 4, timeout: .milliseconds(100)).isEmpty, "the 0 leftover bytes make no frame")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    @Test func gapsBecomeSilenceCappedAtTheLimit() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        var config = CallPipeline.Configuration.unpaced
        config.maxSilenceGapMs = 200
        let call = try Self.makeCall(3, configuration: config)
        try thread.attach(call)
        #expect(call.writeProviderSilence(milliseconds: 60, arrivalNanos: MediaClock.nanos()) == 3)
        #expect(call.writeProviderSilence(milliseconds: 5_000, arrivalNanos: MediaClock.nanos()) == 10, "capped at 200 ms")
        _ = Self.frame(1).withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
        thread.requestWake()
        let back = try await Self.collect(call, on: thread, frames: 14)
        #expect(back.count == 14)
        #expect(back.prefix(13).allSatisfy { $0.allSatisfy { $0 == 0xFF } })
        #expect(back.last == Self.frame(1), "audio after the gap keeps its place")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    /// An agent nobody serves: agent-out fills, then the uplink stops (back-pressure) and
    /// provider-in fills and drops, counted, without blocking anyone. Serving again resumes the flow.
    @Test func slowAgentSideCausesCountedDropsNotBlocking() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        var config = CallPipeline.Configuration.unpaced
        config.providerInFrames = 8
        config.agentOutFrames = 8
        let call = try Self.makeCall(4, configuration: config)
        try thread.attach(call)
        var dropped = 0
        for i in 0..<40 {
            dropped += Self.frame(i).withUnsafeBytes { call.writeProviderAudio($0, arrivalNanos: MediaClock.nanos()) }
            thread.requestWake()
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(dropped > 0)
        #expect(call.providerInDrops == UInt64(dropped))
        let back = try await Self.collect(call, on: thread, frames: 16)
        #expect(back.count == 16, "8 waiting in agent-out, 8 more from provider-in after room appeared")
        #expect(back.first == Self.frame(0))
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    @Test func aFullThreadRefusesCallsAndDetachFreesTheSlot() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 1))
        let a = try Self.makeCall(5)
        let b = try Self.makeCall(6)
        try thread.attach(a)
        #expect(throws: MediaThreadError.full(maxCalls: 1)) { try thread.attach(b) }
        try await Self.retire(a, from: thread)
        try thread.attach(b)
        try await Self.retire(b, from: thread)
        thread.stop()
    }

    @Test func stoppingAThreadRetiresItsCalls() throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 2))
        let call = try Self.makeCall(7)
        try thread.attach(call)
        thread.stop()
        #expect(call.isRetired)
    }

    // MARK: The agent's direction

    /// A call whose agent speaks 8 kHz PCM through `passthrough`: what the provider gets is μ-law.
    static func makeAgentCall(_ id: UInt64, configuration: CallPipeline.Configuration = .init()) throws -> CallPipeline {
        try CallPipeline(callID: id, spec: .passthrough, providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: 8000),
                         doorbell: Doorbell(mediaThreads: 1, callsPerThread: 4), configuration: configuration)
    }

    /// `frames` 20 ms frames of 8 kHz PCM, every sample `value`.
    static func agentSpeech(frames: Int, value: Int16) -> [UInt8] {
        [Int16](repeating: value, count: 160 * frames).withUnsafeBytes { Array($0) }
    }

    /// Reads provider frames (no echo) until `frames` arrived or `timeout` passed.
    static func readProvider(_ call: CallPipeline, frames: Int, timeout: Duration = .seconds(60),
                             each: ([UInt8]) -> Void = { _ in }) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let late = ContinuousClock.now >= deadline
            call.doorbell.drain { _, _ in }
            call.acknowledgeWake()
            _ = call.readProviderAudio { bytes, _ in
                out.append(Array(bytes))
                each(Array(bytes))
            }
            if out.count >= frames || late { return out }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// A 1 s reply written at once goes to the provider no more than the lead (100 ms) ahead of real
    /// time, with no caller audio at all, and all of it arrives.
    @Test func aBurstIsPacedAtTheLeadAndArrivesWhole() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeAgentCall(10)
        try thread.attach(call)
        let burst = Self.agentSpeech(frames: 50, value: 1000)
        let start = ContinuousClock.now
        #expect(burst.withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) } == burst.count)
        thread.requestWake()
        var count = 0
        var worstLeadFrames = Int.min
        let got = try await Self.readProvider(call, frames: 50) { _ in
            count += 1
            let elapsedMs = Int((ContinuousClock.now - start) / .milliseconds(1))
            // Frames released by now may be at most (elapsed + lead) / 20 + the one playing.
            worstLeadFrames = max(worstLeadFrames, count - (elapsedMs + 100) / 20 - 1)
        }
        #expect(got.count == 50)
        #expect(worstLeadFrames <= 0, "sent \(worstLeadFrames) frames beyond the lead")
        #expect(ContinuousClock.now - start >= .milliseconds(800), "1 s of speech with a 100 ms lead takes ≥ 0.9 s")
        #expect(call.downlinkFrames == 50)
        #expect(call.uplinkFrames == 0, "the downlink ran without any caller audio")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    /// After a flush, nothing of the old speech reaches the provider — not what was queued, not
    /// what the media thread had in hand — and the next reply plays whole.
    @Test func aFlushDropsEveryOldFrameAndTheNextReplyPlays() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeAgentCall(11)
        try thread.attach(call)
        let old = Self.agentSpeech(frames: 100, value: 1000)
        let fresh = Self.agentSpeech(frames: 10, value: -1000)
        #expect(old.withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) } == old.count)
        thread.requestWake()
        let first = try await Self.readProvider(call, frames: 3)
        #expect(!first.isEmpty)
        #expect(call.flushDownlink())
        #expect(fresh.withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) } == fresh.count)
        thread.requestWake()
        let after = try await Self.readProvider(call, frames: 10)
        let oldByte = first[0][0]
        #expect(after.count == 10)
        #expect(after.allSatisfy { !$0.contains(oldByte) }, "no frame of the flushed speech")
        #expect(call.flushedFrames == UInt64(100 - first.count), "the rest of the old reply was dropped, counted")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    /// Agent audio in odd pieces is cut into whole frames; the tail of an utterance is padded with
    /// silence and played, not held back.
    @Test func agentAudioOfAnySizeIsReframedAndTheTailPlayed() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeAgentCall(12, configuration: .unpaced)
        try thread.attach(call)
        let speech = Self.agentSpeech(frames: 3, value: 1000) + [0x10, 0x00, 0x10, 0x00] // 3 frames + 2 samples
        var offset = 0
        for size in Array(repeating: [7, 333, 1, 99, 84], count: 4).joined() where offset < speech.count {
            let end = min(offset + size, speech.count)
            #expect(speech[offset..<end].withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) } == end - offset)
            offset = end
        }
        #expect(call.agentFramesWritten == 3, "the 2-sample remainder waits")
        #expect(call.finishAgentAudio())
        #expect(call.agentFramesWritten == 4)
        thread.requestWake()
        let got = try await Self.readProvider(call, frames: 4)
        #expect(got.count == 4)
        #expect(got[3][2...].allSatisfy { $0 == 0xFF }, "the tail is padded with μ-law silence")
        #expect(Array(got[3][0..<2]) == AudioFormat.telephonyMuLaw.encode([16, 16]), "and starts with the agent's last two samples")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    /// A full agent-in takes no more (the connector stops reading its socket) and takes the rest
    /// once the pacer has made room; nothing is lost.
    @Test func aFullAgentQueueRefusesMoreUntilThereIsRoom() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        var config = CallPipeline.Configuration()
        config.agentInFrames = 8
        let call = try Self.makeAgentCall(13, configuration: config)
        try thread.attach(call)
        let speech = Self.agentSpeech(frames: 30, value: 1000)
        var offset = speech.withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) }
        #expect(offset < speech.count, "agent-in holds 8 frames")
        thread.requestWake()
        var got: [[UInt8]] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while got.count < 30, ContinuousClock.now < deadline {
            got += try await Self.readProvider(call, frames: 1, timeout: .milliseconds(20))
            if offset < speech.count {
                offset += speech[offset...].withUnsafeBytes { call.writeAgentAudio($0, arrivalNanos: MediaClock.nanos()) }
                thread.requestWake()
            }
        }
        #expect(got.count == 30)
        #expect(call.flushedFrames == 0)
        try await Self.retire(call, from: thread)
        thread.stop()
    }
}
