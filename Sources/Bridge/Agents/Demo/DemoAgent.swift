import MediaGraph

/// The built-in agent `voiced serve` talks to by default, with no network and no keys: it greets
/// the caller, and after each caller turn (the graph's VAD says speech stopped) says "You said:"
/// and plays the caller's words back. Caller speech over it interrupts it through the full
/// barge-in flow (provider flush, marks ignored, agent audio flushed), as a real agent would be.
///
/// It hears and speaks 16-bit PCM at the ``DemoVoice``'s rate. It records the caller from 200 ms
/// before each speech start (a short pre-roll ring) to 200 ms after it stopped, up to 6 s.
///
/// - Threading: the call's event loop (see ``AgentConnector``).
/// - Ownership: shares the server's ``DemoVoice`` prompts; owns its recording.
final class DemoAgent: AgentConnector, CustomStringConvertible {
    let audio: AgentAudio
    let interruptible = true
    private let voice: DemoVoice
    private weak var sink: AgentSink?

    /// Utterances waiting to be spoken, each a list of clips, with the item id they are spoken as.
    private var queue: [(item: String, clips: [[Int16]])] = []
    /// Position in the first queued utterance: clip index and sample offset.
    private var clip = 0
    private var offset = 0
    private var turns = 0

    // Listening.
    private let samplesPerFrame: Int
    /// The last few frames of caller audio, oldest first (the pre-roll before a speech start).
    private var preroll: [[Int16]] = []
    /// Uplink media time of the next caller frame, in ms.
    private var heardMs: UInt64 = 0
    /// The caller's words being recorded, and the media time they start at.
    private var recording: [Int16] = []
    private var recordingFromMs: UInt64?

    private static let prerollMs: UInt64 = 200
    private static let tailMs: UInt64 = 200
    private static let longestTurnMs = 6000

    init(voice: DemoVoice) {
        self.voice = voice
        audio = .pcm(rateHz: voice.sampleRateHz)
        samplesPerFrame = voice.sampleRateHz * AudioFormat.frameDurationMs / 1000
    }

    var description: String { "demo" }

    func start(_ call: AgentCall, sink: AgentSink) {
        self.sink = sink
        say([voice.greeting], as: "greeting")
    }

    func callerAudio(_ frames: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        let samples = frames.bindMemory(to: Int16.self)
        var start = 0
        while start < samples.count {
            let frame = Array(samples[start..<min(start + samplesPerFrame, samples.count)])
            start += samplesPerFrame
            if recordingFromMs != nil, recording.count < Self.longestTurnMs * voice.sampleRateHz / 1000 {
                recording += frame
            }
            preroll.append(frame)
            if preroll.count > Int(Self.prerollMs) / AudioFormat.frameDurationMs + 8 { preroll.removeFirst() }
            heardMs += UInt64(AudioFormat.frameDurationMs)
        }
    }

    func graphEvent(_ event: MediaEvent) {
        switch event {
        case let .speechStarted(ms):
            // The pre-roll holds the frames from the speech start on (the VAD confirms it late).
            let fromMs = ms > Self.prerollMs ? ms - Self.prerollMs : 0
            let firstPrerollMs = heardMs - UInt64(preroll.count * AudioFormat.frameDurationMs)
            let skip = fromMs > firstPrerollMs ? Int(fromMs - firstPrerollMs) / AudioFormat.frameDurationMs : 0
            recording = preroll.dropFirst(skip).flatMap { $0 }
            recordingFromMs = max(fromMs, firstPrerollMs)
        case let .speechStopped(ms):
            guard let from = recordingFromMs else { return }
            recordingFromMs = nil
            let keepMs = Int(min(ms + Self.tailMs, heardMs) - min(from, ms))
            let words = Array(recording.prefix(keepMs * voice.sampleRateHz / 1000))
            recording = []
            turns += 1
            say([voice.youSaid, words], as: "reply-\(turns)")
        case .bargeIn, .node:
            break
        }
    }

    func interrupted(item: String, heardMs: Int) {
        // The call flushed what was queued; forget the rest of what was to be said.
        queue.removeAll()
        clip = 0
        offset = 0
    }

    func resumeSpeaking() { speak() }

    func dtmf(_ digit: String) {}

    func stop() {
        sink = nil
        queue.removeAll()
    }

    /// Queues an utterance and starts speaking if idle.
    private func say(_ clips: [[Int16]], as item: String) {
        queue.append((item, clips))
        if queue.count == 1 { speak() }
    }

    /// Offers the queued speech to the call until it takes less than offered (resumed later) or
    /// everything is said.
    private func speak() {
        while let sink, let utterance = queue.first {
            while clip < utterance.clips.count {
                let samples = utterance.clips[clip]
                let taken = samples.withUnsafeBytes { bytes in
                    sink.agentSpeech(UnsafeRawBufferPointer(rebasing: bytes[(offset * 2)...]), item: utterance.item)
                }
                offset += taken / 2
                guard offset == samples.count else { return }
                clip += 1
                offset = 0
            }
            sink.agentFinishedSpeaking(item: utterance.item)
            queue.removeFirst()
            clip = 0
        }
    }
}
