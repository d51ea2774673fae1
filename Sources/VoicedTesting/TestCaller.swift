import Dispatch
import LoadGen

/// A fake provider call a ``TestCaller`` can speak on: Twilio's or any other provider's.
public protocol CallerLine {
    associatedtype Received
    /// What has come back so far.
    var received: Received { get }
    /// Sends 20 ms frames of the call's format, numbered from `firstFrame` (1 is the stream's first).
    func sendAudio(frames: [[UInt8]], firstFrame: Int) async throws
    /// One 20 ms frame of silence in the call's format.
    var silenceFrame: [UInt8] { get }
    /// The test speech in the call's format.
    func speechFrames() throws -> [[UInt8]]
}

extension CallerLine {
    /// Waits until `condition` holds for what was received, or `timeout` passes. Returns the last state.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30), until condition: (Received) -> Bool) async throws -> Received {
        let deadline = ContinuousClock.now + timeout
        while true {
            // The deadline is read before the state, so a task starved past it still looks once more.
            let late = ContinuousClock.now >= deadline
            let now = received
            if condition(now) || late { return now }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// One caller on a fake call, streaming audio in real time as a person would: silence, or
/// sentences of the test speech (TestAudio, whose sentence times are known).
///
/// - Threading: one test task at a time.
public struct TestCaller<Line: CallerLine> {
    public let call: Line
    public let speech: [[UInt8]]
    public let sentences: [(start: Int, end: Int)]
    private var frame = 1

    public init(call: Line) throws {
        self.call = call
        speech = try call.speechFrames()
        sentences = try TestSpeech.sentences()
    }

    /// Streams `ms` of silence.
    public mutating func silence(ms: Int) async throws { try await send(Array(repeating: call.silenceFrame, count: ms / 20)) }

    /// Says sentence `index` (with 100 ms around it); returns when its speech began (monotonic ns).
    public mutating func say(_ index: Int) async throws -> UInt64 {
        let s = sentences[index]
        let from = (s.start - 100) / 20, to = (s.end + 100) / 20
        let onset = DispatchTime.now().uptimeNanoseconds + 100_000_000
        try await send(Array(speech[from..<to]))
        return onset
    }

    /// Streams silence until `condition` holds for what came back (at most `timeoutMs`).
    @discardableResult
    public mutating func silence(until condition: (Line.Received) -> Bool, timeoutMs: Int = 20_000) async throws -> Line.Received {
        var waited = 0
        while !condition(call.received), waited < timeoutMs {
            try await silence(ms: 100)
            waited += 100
        }
        return call.received
    }

    private mutating func send(_ frames: [[UInt8]]) async throws {
        try await call.sendAudio(frames: frames, firstFrame: frame)
        frame += frames.count
    }
}

extension TwilioTestCall: CallerLine {
    public func sendAudio(frames: [[UInt8]], firstFrame: Int) async throws { try await sendAudio(frames, firstChunk: firstFrame) }
    public var silenceFrame: [UInt8] { [UInt8](repeating: 0xFF, count: 160) }
    public func speechFrames() throws -> [[UInt8]] { try TestSpeech.frames() }
}

extension ProviderTestCall: CallerLine {
    public func sendAudio(frames: [[UInt8]], firstFrame: Int) async throws { try await sendAudio(frames, firstFrame: firstFrame) }
    public var silenceFrame: [UInt8] { [UInt8](repeating: wire.silenceByte, count: wire.bytesPerFrame) }
    public func speechFrames() throws -> [[UInt8]] { try TestSpeech.frames(for: wire) }
}
