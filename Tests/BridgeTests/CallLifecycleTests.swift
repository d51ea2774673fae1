import Bridge
import Foundation
import MediaGraph
import NIOWebSocket
import Testing
import VoicedTesting

/// Each call's life on a real daemon on loopback: exactly one end reason per call (counted by
/// reason and provider), `--max-calls` (503 for the upgrade past it, `/ready` 503), the idle sweep,
/// `/stats`' view of live calls, and a drain — and after every way of ending, nothing left behind.
@Suite struct CallLifecycleTests {
    /// The upgrade request a provider's media socket opens with.
    static let upgradeHeaders = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                 ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

    static func endings(_ server: TestServer) -> [CallEndReason: UInt64] {
        server.server.stats.endings.reduce(into: [:]) { $0[$1.key.reason, default: 0] += $1.value }
    }

    static func started(_ server: TestServer) async throws -> TwilioTestCall {
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio([[UInt8](repeating: 0xFF, count: 160)])
        _ = try await call.wait { $0.audio.count >= 160 }
        return call
    }

    @Test func pastMaxCallsAnUpgradeGets503AndReadySaysSoUntilACallEnds() async throws {
        let server = try await TestServer { $0.maxCalls = 2 }
        #expect(try await RawSocket.request(port: server.port, path: "/ready").status == 200)
        let first = try await Self.started(server)
        let second = try await Self.started(server)

        let refused = try await RawSocket.request(port: server.port, path: "/twilio", headers: Self.upgradeHeaders)
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        #expect(refused.text.contains("maximum number of calls"))
        let ready = try await RawSocket.request(port: server.port, path: "/ready")
        #expect(ready.status == 503)
        #expect(server.server.stats.refusals["max_calls"] == 1)
        #expect(Self.endings(server)[.overCapacity] == 1)

        // The calls in progress are untouched.
        try await first.sendAudio([[UInt8](repeating: 0x7F, count: 160)])
        _ = try await first.wait { $0.audio.count >= 320 }

        second.sendStop()
        await second.client.close()
        try await until { server.server.registry.count == 1 && server.server.stats.connectionsOpen.load(ordering: .relaxed) == 1 }
        #expect(try await RawSocket.request(port: server.port, path: "/ready").status == 200)
        let third = try await Self.started(server)
        #expect(server.server.registry.count == 2)

        for call in [first, third] {
            call.sendStop()
            await call.client.close()
        }
        #expect(try await server.waitUntilIdle())
        #expect(server.server.admission.count == 0)
        try await server.stop()
    }

    @Test func everyWayACallEndsHasOneReasonAndLeavesNothingBehind() async throws {
        // Short enough to end the silent ones quickly; long enough that a start on a busy suite
        // is still read before its deadline.
        let server = try await TestServer { config in
            config.limits.mediaIdle = .seconds(1)
            config.limits.start = .seconds(3)
        }
        // provider_stop
        let stopped = try await Self.started(server)
        stopped.sendStop()
        // caller_hung_up: the socket closes without stop
        let hungUp = try await Self.started(server)
        await hungUp.client.close()
        // idle_timeout: started, then silent
        let idle = try await Self.started(server)
        // idle_timeout before start: never sends start (counted, never registered)
        let silent = try await server.call()
        // protocol_error: a start whose graph the server does not have
        let bad = try await server.call()
        bad.sendConnectedAndStart(parameters: ["graph": "no-such-graph"])

        _ = try await idle.wait(timeout: .seconds(15)) { $0.closed }
        _ = try await silent.wait(timeout: .seconds(15)) { $0.closed }
        _ = try await bad.wait { $0.closed }
        await stopped.client.close()
        #expect(try await server.waitUntilIdle(timeout: .seconds(10)))
        let endings = Self.endings(server)
        #expect(endings == [.providerStop: 1, .callerHungUp: 1, .idleTimeout: 2, .protocolError: 1])
        #expect(server.server.stats.endings.keys.allSatisfy { $0.provider == "twilio" })
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == 3)
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 3)
        #expect(server.server.admission.count == 0)
        try await server.stop()
    }

    @Test func statsListsEachLiveCallWithItsStateAndCounters() async throws {
        let server = try await TestServer()
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["agent": "echo"])
        try await until { server.server.registry.count == 1 }
        struct Stats: Decodable {
            struct Connection: Decodable {
                var call_id: UInt64
                var provider: String
                var provider_call_id: String
                var stream_id: String
                var agent: String
                var graph: String
                var state: String
                var age_seconds: Double
                var frames_in: UInt64
                var frames_out: UInt64
                var frames_dropped: UInt64
            }
            var status: String
            var active_connections: Int
            var max_connections: Int
            var connection_types: [String: Int]
            var connections: [Connection]
            var callsEndedByReason: [String: [String: UInt64]]
        }
        func stats() async throws -> Stats {
            try JSONDecoder().decode(Stats.self, from: Data(try await RawSocket.request(port: server.port, path: "/stats").body))
        }
        var report = try await stats()
        #expect(report.status == "ok")
        #expect(report.active_connections == 1)
        #expect(report.max_connections == server.server.admission.maxCalls)
        #expect(report.connection_types == ["twilio": 1])
        #expect(report.connections.first?.state == "started")
        #expect(report.connections.first?.agent == "echo")
        #expect(report.connections.first?.graph == "passthrough")
        #expect(report.connections.first?.stream_id == call.messages.streamSid)
        #expect(report.connections.first?.provider_call_id == call.messages.callSid)

        try await call.sendAudio(Array(try TestSpeech.frames().prefix(50)))
        _ = try await call.wait { $0.audio.count >= 50 * 160 }
        report = try await stats()
        #expect(report.connections.first?.state == "active")
        #expect(report.connections.first?.frames_in == 50)
        #expect(report.connections.first?.frames_out == 50)
        #expect(report.connections.first?.frames_dropped == 0)

        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        report = try await stats()
        #expect(report.connections.isEmpty)
        #expect(report.callsEndedByReason == ["provider_stop": ["twilio": 1]])
        try await server.stop()
    }

    @Test func aDrainTurnsAwayNewCallsLetsCallsInProgressFinishAndHangsUpTheRest() async throws {
        let server = try await TestServer()
        let finishing = try await Self.started(server)
        let lingering = try await Self.started(server)
        // Room for the requests and the finishing call below on a loaded CI machine (3 s missed twice
        // with the parallel suite at its heaviest); the lingering call waits it out either way.
        let drain = Task { await server.server.drain(timeout: .seconds(10)) }
        try await until { server.server.admission.isDraining }

        let refused = try await RawSocket.request(port: server.port, path: "/twilio", headers: Self.upgradeHeaders)
        #expect(refused.status == 503)
        #expect(refused.text.contains("draining"))
        #expect(try await RawSocket.request(port: server.port, path: "/ready").status == 503)
        #expect(try await RawSocket.request(port: server.port, path: "/health").status == 200)

        // A call in progress still works, and ends as it would have.
        try await finishing.sendAudio([[UInt8](repeating: 0x7F, count: 160)])
        _ = try await finishing.wait { $0.audio.count >= 320 }
        finishing.sendStop()

        // The other outlasts the drain: hung up with 1001 (going away), reason shutdown.
        #expect(await drain.value == 1)
        let closed = try await lingering.wait { $0.closed }
        #expect(closed.closeCode == .goingAway)
        await finishing.client.close()
        #expect(try await server.waitUntilIdle())
        let endings = Self.endings(server)
        #expect(endings[.providerStop] == 1)
        #expect(endings[.shutdown] == 2, "the hung-up call and the refused upgrade")
        #expect(server.server.stats.refusals["draining"] == 1)
        try await server.stop()
    }
}
