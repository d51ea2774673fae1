import MediaGraph
import Testing

/// A call on a real media thread, driven from the test thread as its I/O side.
@Suite struct CallPipelineTests {
    /// A frame with every μ-law byte but 0x7F (the one G.711 round trip changes), shifted by `seed`.
    static func frame(_ seed: Int) -> [UInt8] {
        (0..<160).map { i in
            let b = UInt8((i + seed) % 256)
            return b == 0x7F ? 0x7E : b
        }
    }

    /// Reads downlink frames until `frames` arrived or `timeout` passed. Always reads once more after
    /// the deadline: on a loaded 2-core machine the task itself may have been starved past it.
    static func collect(_ call: CallPipeline, frames: Int, timeout: Duration = .seconds(10)) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let late = ContinuousClock.now >= deadline
            call.doorbell.drain { id, event in
                #expect(id == call.callID)
                #expect(event == .ready)
            }
            call.acknowledgeWake()
            _ = call.readDownlink { bytes, _ in out.append(Array(bytes)) }
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

    static func makeCall(_ id: UInt64, configuration: CallPipeline.Configuration = .init()) throws -> CallPipeline {
        try CallPipeline(callID: id, spec: .passthrough, providerFormat: .telephonyMuLaw,
                         doorbell: Doorbell(mediaThreads: 1, callsPerThread: 4), configuration: configuration)
    }

    @Test func echoReturnsEveryFrameIdenticalAndInOrder() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        let call = try Self.makeCall(1)
        try thread.attach(call)
        let sent = (0..<40).map(Self.frame)
        for f in sent {
            #expect(f.withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) } == 0)
            thread.requestWake()
        }
        let back = try await Self.collect(call, frames: 40)
        #expect(back == sent)
        #expect(call.framesProcessed == 40)
        #expect(call.serverLatency.count == 40)
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
            _ = f.withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) }
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(try await Self.collect(call, frames: 10) == sent)
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
            _ = stream[offset..<(offset + size)].withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) }
            offset += size
        }
        thread.requestWake()
        let back = try await Self.collect(call, frames: 3)
        #expect(back.flatMap { $0 } == Array(stream[0..<480]), "three whole frames; the 0-byte remainder waits")
        #expect(try await Self.collect(call, frames: 4, timeout: .milliseconds(100)).isEmpty, "the 0 leftover bytes make no frame")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    @Test func gapsBecomeSilenceCappedAtTheLimit() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        var config = CallPipeline.Configuration()
        config.maxSilenceGapMs = 200
        let call = try Self.makeCall(3, configuration: config)
        try thread.attach(call)
        #expect(call.writeUplinkSilence(milliseconds: 60, arrivalNanos: MediaClock.nanos()) == 3)
        #expect(call.writeUplinkSilence(milliseconds: 5_000, arrivalNanos: MediaClock.nanos()) == 10, "capped at 200 ms")
        _ = Self.frame(1).withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) }
        thread.requestWake()
        let back = try await Self.collect(call, frames: 14)
        #expect(back.count == 14)
        #expect(back.prefix(13).allSatisfy { $0.allSatisfy { $0 == 0xFF } })
        #expect(back.last == Self.frame(1), "audio after the gap keeps its place")
        try await Self.retire(call, from: thread)
        thread.stop()
    }

    /// A downlink nobody reads fills up; then the graph stops (back-pressure) and the uplink ring
    /// fills and drops, counted, without blocking anyone. Reading again resumes the flow.
    @Test func slowReaderCausesCountedDropsNotBlocking() async throws {
        let thread = try MediaThread(index: 0, configuration: .init(maxCalls: 4))
        var config = CallPipeline.Configuration()
        config.uplinkFrames = 8
        config.downlinkFrames = 8
        let call = try Self.makeCall(4, configuration: config)
        try thread.attach(call)
        var dropped = 0
        for i in 0..<40 {
            dropped += Self.frame(i).withUnsafeBytes { call.writeUplink($0, arrivalNanos: MediaClock.nanos()) }
            thread.requestWake()
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(dropped > 0)
        #expect(call.uplinkDrops == UInt64(dropped))
        #expect(call.downlinkDrops == 0, "the media thread never pushes into a full downlink")
        let back = try await Self.collect(call, frames: 16)
        #expect(back.count == 16, "8 waiting in the downlink, 8 more from the uplink after room appeared")
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
}
