import Bridge
import Foundation
import Testing
import VoicedTesting

/// Scale-out as deploy/ ships it: two voiced instances behind a real nginx running
/// deploy/nginx/voiced.conf. One drains (as on SIGTERM) while calls stream through both: no call is
/// dropped, the draining instance's calls finish where they are, and every new call lands on the
/// other instance — the 503 each new upgrade gets from the draining one never reaches the caller.
///
/// Runs alone (`VOICED_LOAD_TESTS=1`, as scripts/test does after the main suite): its calls stream
/// in real time through a third process, and amid the parallel suite they missed their deadlines.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VOICED_LOAD_TESTS"] != nil))
struct NginxDrainTests {
    /// Streams `frames` frames in real time through `call` and hangs up; returns whether every one
    /// came back (the echo) and the call was never closed on it.
    static func streamAndHangUp(_ call: TwilioTestCall, frames: [[UInt8]]) async throws -> Bool {
        call.sendConnectedAndStart()
        try await call.sendAudio(frames, intervalMs: 20)
        let heard = try await call.wait(timeout: .seconds(20)) { $0.audio.count >= frames.count * 160 || $0.closed }
        let whole = heard.audio == TestSpeech.echoed(frames) && !heard.closed
        call.sendStop()
        await call.client.close()
        return whole
    }

    @Test func drainingOneInstanceDropsNoCallAndNewCallsLandOnTheOther() async throws {
        let draining = try await TestServer()
        let staying = try await TestServer()
        let nginx = try await NginxProxy(upstreams: [draining.port, staying.port])
        defer { nginx.stop() }
        let speech = try TestSpeech.frames()
        let before = 6, during = 6

        // Six calls of 3 s through nginx, spread over both instances.
        let first = Task {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<before {
                    let call = try await TwilioTestCall.connect(port: nginx.port, group: draining.clients)
                    group.addTask { try await Self.streamAndHangUp(call, frames: Array(speech[(i * 11)..<(i * 11 + 150)])) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        try await until { draining.server.registry.count + staying.server.registry.count == before }
        let onDraining = draining.server.stats.callsStarted.load(ordering: .relaxed)
        #expect(onDraining > 0 && onDraining < before, "round robin put calls on both instances")

        // The drain begins while they stream; six more calls arrive during it.
        let drain = Task { await draining.server.drain(timeout: .seconds(30)) }
        try await until { draining.server.admission.isDraining }
        let second = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<during {
                let call = try await TwilioTestCall.connect(port: nginx.port, group: staying.clients)
                group.addTask { try await Self.streamAndHangUp(call, frames: Array(speech[(i * 13)..<(i * 13 + 50)])) }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }

        #expect(try await first.value == before, "every call in progress during the drain came back whole")
        #expect(second == during, "every call placed during the drain came back whole")
        #expect(await drain.value == 0, "the draining instance's calls all finished; none was hung up")
        #expect(draining.server.stats.callsStarted.load(ordering: .relaxed) == onDraining, "no new call on the draining instance")
        #expect(staying.server.stats.callsStarted.load(ordering: .relaxed) == before + during - onDraining)
        #expect(draining.server.stats.refusals["draining"] ?? 0 >= 1, "nginx tried the draining instance and was told 503")
        let ended = [draining, staying].map { $0.server.stats.endings.filter { $0.key.reason == .providerStop }.values.reduce(0, +) }
        #expect(ended.reduce(0, +) == UInt64(before + during))
        #expect(try await draining.waitUntilIdle())
        #expect(try await staying.waitUntilIdle())
        try await draining.stop()
        try await staying.stop()
    }
}
