import Bridge
import Foundation
import CAudio
import MediaGraph
import Testing
import VoicedTesting

/// The demo agent greets a caller whose phone returns what it plays as an echo, 250 ms later at
/// −6 dB through a handset's response, as a phone line does; the caller says nothing. With the
/// `standard` graph the echo is cancelled: no barge-in, no clear, and the agent hears nothing to
/// answer. Without echo cancellation the same echo interrupts the agent (so the test can fail).
///
/// Runs alone (`VOICED_LOAD_TESTS=1`, as scripts/test does after the main suite): the test client
/// plays the phone, and a phone returns its echo on a steady clock; starved of CPU by the parallel
/// suite, the client's timing jitters by tens of milliseconds, more than a handset's.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VOICED_LOAD_TESTS"] != nil), .serialized)
struct LiveEchoTests {
    @Test func theAgentsEchoOnALiveCallRaisesNoBargeIn() async throws {
        let (bargeIns, clears, answered) = try await Self.call(graph: .standard)
        #expect(bargeIns == 0)
        #expect(clears == 0)
        #expect(!answered, "the agent answered its own echo")
    }

    /// The `neural` preset (the Silero VAD on an analysis thread) on the same line: its echo
    /// raises nothing either, and a caller who starts talking over the greeting interrupts it.
    @Test func withTheNeuralVADTheEchoIsIgnoredAndTheCallerInterrupts() async throws {
        let quiet = try await Self.call(graph: .neural)
        #expect(quiet.bargeIns == 0)
        #expect(quiet.clears == 0)
        #expect(!quiet.answered, "the agent answered its own echo")
        let talking = try await Self.call(graph: .neural, callerSpeaksFromChunk: 100)
        #expect(talking.bargeIns >= 1)
        #expect(talking.clears >= 1)
    }

    @Test func withoutEchoCancellationTheSameEchoInterrupts() async throws {
        let noAEC = GraphSpec(name: "no-aec", uplink: ["mulaw-decode", "apm(aec=off)", "vad", "barge-in", "resample(rate=agent)"],
                              downlink: GraphSpec.standard.downlink)
        let (bargeIns, clears, answered) = try await Self.call(graph: noAEC)
        #expect(bargeIns > 0 || clears > 0 || answered)
    }

    /// Runs one 10 s call; returns the barge-ins counted, the clears received, and whether any
    /// agent audio came after the greeting had finished playing. From `callerSpeaksFromChunk` on,
    /// the caller also says the test speech into the phone.
    static func call(graph: GraphSpec, callerSpeaksFromChunk: Int? = nil) async throws -> (bargeIns: UInt64, clears: Int, answered: Bool) {
        let speech = try TestSpeech.frames()
        let server = try await TestServer {
            $0.agent = "demo"
            $0.graph = graph
            $0.call = .init()
        }
        let call = try await server.call()
        call.sendConnectedAndStart()
        var phone = EchoPath.Live(path: EchoPath(delayMs: 250, attenuationDb: -6))
        // The phone plays what it received in order, 20 ms per 20 ms it captures (one clock for
        // both, as in a handset), so the echo keeps its delay however this task is scheduled.
        var unplayed: [UInt8] = []
        var seen = 0
        var idleFrames = 0
        var greetingEnd: Int?
        var answered = false
        for chunk in 1...500 {
            let audio = call.received.audio
            unplayed += audio[seen...]
            seen = audio.count
            let take = min(160, unplayed.count)
            let frame = unplayed.prefix(take).map { vd_ulaw_decode_sample($0) } + [Int16](repeating: 0, count: 160 - take)
            unplayed.removeFirst(take)
            var microphone = phone.next(played: frame)
            if let from = callerSpeaksFromChunk, chunk >= from, chunk - from < speech.count {
                microphone = zip(microphone, speech[chunk - from]).map { Int16(clamping: Int($0) + Int(vd_ulaw_decode_sample($1))) }
            }
            try await call.sendAudio([microphone.map { vd_ulaw_encode_sample($0) }], firstChunk: chunk)
            idleFrames = take == 0 ? idleFrames + 1 : 0
            if greetingEnd == nil, seen > 8000, idleFrames >= 50 { greetingEnd = seen }
            if let end = greetingEnd, seen > end + 1600 { answered = true }
        }
        let result = (server.server.stats.bargeIns.load(ordering: .relaxed), call.received.clears.count, answered)
        print("live echo, graph \(graph.name): greeting \(greetingEnd.map { $0 / 8 } ?? -1) ms, barge-ins \(result.0), clears \(result.1), answered \(answered)")
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        return result
    }
}
