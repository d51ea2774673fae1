import Dispatch

/// One caller on a fake Twilio call, streaming audio in real time as a person would: silence, or
/// sentences of the test speech (TestAudio, whose sentence times are known).
///
/// - Threading: one test task at a time.
public struct TestCaller {
    public let call: TwilioTestCall
    public let speech: [[UInt8]]
    public let sentences: [(start: Int, end: Int)]
    private var chunk = 1
    static let silence = [UInt8](repeating: 0xFF, count: 160)

    public init(call: TwilioTestCall) throws {
        self.call = call
        speech = try TestSpeech.frames()
        sentences = try TestSpeech.sentences()
    }

    /// Streams `ms` of silence.
    public mutating func silence(ms: Int) async throws { try await send(Array(repeating: Self.silence, count: ms / 20)) }

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
    public mutating func silence(until condition: (TwilioTestCall.Received) -> Bool, timeoutMs: Int = 20_000) async throws -> TwilioTestCall.Received {
        var waited = 0
        while !condition(call.received), waited < timeoutMs {
            try await silence(ms: 100)
            waited += 100
        }
        return call.received
    }

    private mutating func send(_ frames: [[UInt8]]) async throws {
        try await call.sendAudio(frames, firstChunk: chunk)
        chunk += frames.count
    }
}
