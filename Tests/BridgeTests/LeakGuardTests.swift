import Bridge
import Foundation
import LoadGen
import MediaGraph
import Testing
import VoicedTesting

/// After calls that end by every reason — provider stop, caller hang-up with an agent socket open,
/// idle, no `start`, a protocol error, over capacity, an agent that cannot be reached, a drain —
/// the registry, media-thread slots, admission places, provider and agent sockets and the process's
/// file descriptors are back to their idle counts.
///
/// Runs alone (`VOICED_LOAD_TESTS=1`, as scripts/test does after the main suite): file descriptors
/// are counted for the whole process.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VOICED_LOAD_TESTS"] != nil), .serialized)
struct LeakGuardTests {
    /// The process's open descriptors, each with what it refers to.
    static func openDescriptors() throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return Dictionary(uniqueKeysWithValues: names.map { ($0, (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "?") })
    }

    @Test func everyWayACallEndsReturnsToIdle() async throws {
        let fake = try await FakeRealtimeServer(dialect: .ga)
        let server = try await TestServer {
            $0.agentProfiles = [
                "realtime": .openai(RealtimeSettings(dialect: .ga, url: fake.url, apiKey: "test-key")),
                "unreachable": .openai(RealtimeSettings(dialect: .ga, url: "ws://127.0.0.1:9/v1/realtime", apiKey: "test-key")),
            ]
            $0.maxCalls = 3
            $0.limits.mediaIdle = .seconds(1)
            $0.limits.start = .seconds(1)
        }
        let silence = [[UInt8](repeating: 0xFF, count: 160)]
        func started(_ parameters: [String: String] = [:]) async throws -> TwilioTestCall {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: parameters)
            try await call.sendAudio(silence)
            return call
        }
        // Warm up (lazily made threads and descriptors exist), then count.
        let warm = try await started()
        warm.sendStop()
        await warm.client.close()
        #expect(try await server.waitUntilIdle())
        // (RawSocket's first use starts NIO's singleton event loops: their descriptors stay.)
        #expect(try await RawSocket.request(port: server.port, path: "/health").status == 200)
        try await Task.sleep(for: .milliseconds(300))
        let before = try Self.openDescriptors()

        let stopped = try await started()
        let withAgent = try await started(["agent": "realtime"])
        _ = try await fake.waitFor("session.update")
        let idle = try await started()
        // At --max-calls 3: refused with 503 at the upgrade.
        let refused = try await RawSocket.request(port: server.port, path: "/twilio", headers: CallLifecycleTests.upgradeHeaders)
        #expect(refused.status == 503)
        stopped.sendStop()
        await withAgent.client.close()
        _ = try await idle.wait(timeout: .seconds(15)) { $0.closed }
        await stopped.client.close()

        let silent = try await server.call()
        let bad = try await server.call()
        bad.sendConnectedAndStart(parameters: ["graph": "no-such-graph"])
        let failing = try await started(["agent": "unreachable"])
        _ = try await failing.wait(timeout: .seconds(15)) { $0.closed }
        _ = try await silent.wait(timeout: .seconds(15)) { $0.closed }
        _ = try await bad.wait { $0.closed }
        let drained = try await started()
        #expect(await server.server.drain(timeout: .milliseconds(200)) == 1)
        _ = try await drained.wait { $0.closed }
        for call in [idle, silent, bad, failing, drained] { await call.client.close() }

        #expect(try await server.waitUntilIdle(timeout: .seconds(10)))
        let endings = server.server.stats.endings.reduce(into: [CallEndReason: UInt64]()) { $0[$1.key.reason, default: 0] += $1.value }
        for reason in [CallEndReason.providerStop, .callerHungUp, .idleTimeout, .overCapacity, .protocolError, .agentFailed, .shutdown] {
            #expect((endings[reason] ?? 0) >= 1, "a call ended by \(reason): \(endings)")
        }
        #expect(server.server.registry.count == 0 && server.server.pool.attachedCalls == 0 && server.server.admission.count == 0)
        try await until { fake.openConnections == 0 }
        // Every socket of those calls (provider and agent) and everything they opened is closed.
        try? await until(timeout: .seconds(10)) { (try? Self.openDescriptors().count).map { $0 <= before.count } == true }
        let after = try Self.openDescriptors()
        #expect(after.count <= before.count, "descriptors left open: \(after.filter { before[$0.key] != $0.value })")
        try await server.stop()
        try await fake.stop()
    }
}
