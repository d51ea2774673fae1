@testable import Bridge
import Foundation
import Testing
import VoicedTesting

/// Every ended call becomes one row in the SQLite records, written off the event loops, read back
/// the way `voiced calls` reads them.
@Suite struct CallRecordsTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("voiced-records-\(UUID().uuidString).sqlite").path
    }

    @Test func eachEndedCallIsOneRowWithItsIdsReasonAndFigures() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = Date()
        let server = try await TestServer { $0.records = path }
        let frames = 50
        let stopped = try await server.call()
        stopped.sendConnectedAndStart(parameters: ["tenant": "acme", "from": "+15551230000", "to": "+15559870000"])
        try await stopped.sendAudio(Array(try TestSpeech.frames().prefix(frames)))
        _ = try await stopped.wait { $0.audio.count >= frames * 160 }
        stopped.sendStop()
        let hungUp = try await server.call()
        hungUp.sendConnectedAndStart()
        try await until { server.server.stats.callsStarted.load(ordering: .relaxed) == 2 }
        await hungUp.client.close()
        await stopped.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()

        let rows = try CallRecords.read(path, since: nil)
        #expect(rows.count == 2)
        let first = try #require(rows.first { $0.providerCallID == stopped.messages.callSid })
        #expect(first.provider == "twilio")
        #expect(first.streamID == stopped.messages.streamSid)
        #expect(first.agent == "echo" && first.graph == "passthrough")
        #expect(first.customParameters["tenant"] == "acme")
        #expect(first.from == "+15551230000" && first.to == "+15559870000")
        #expect(first.endReason == "provider_stop")
        #expect(first.framesIn == UInt64(frames) && first.framesOut == UInt64(frames) && first.framesDropped == 0)
        #expect(first.uplinkP99Us > 0 && first.uplinkP50Us <= first.uplinkP99Us)
        #expect(first.durationMs > 0 && first.startedAt < first.endedAt)
        #expect(first.server == server.server.serverID)
        let second = try #require(rows.first { $0.providerCallID == hungUp.messages.callSid })
        #expect(second.endReason == "caller_hung_up")
        #expect(second.callID != first.callID)

        #expect(try CallRecords.read(path, since: before.addingTimeInterval(-60)).count == 2)
        #expect(try CallRecords.read(path, since: Date().addingTimeInterval(60)).isEmpty)
        #expect(server.server.records?.written.load(ordering: .relaxed) == 2)
        let json = try JSONSerialization.jsonObject(with: Data(first.json().utf8)) as? [String: Any]
        #expect(json?["end_reason"] as? String == "provider_stop" && json?["provider_call_id"] as? String == stopped.messages.callSid)
    }

    @Test func aSecondRunAppendsToTheSameFileAndUnreadableFilesAreNamed() async throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<2 {
            let server = try await TestServer { $0.records = path }
            let call = try await server.call()
            call.sendConnectedAndStart()
            try await until { server.server.registry.count == 1 }
            call.sendStop()
            await call.client.close()
            #expect(try await server.waitUntilIdle())
            try await server.stop()
        }
        #expect(try CallRecords.read(path, since: nil).count == 2, "the schema is migrated once and kept")

        let directory = FileManager.default.temporaryDirectory.path
        #expect(throws: ServerError.self) { try VoicedServer(configuration: { var c = VoicedServer.Configuration(); c.records = directory; return c }()) }
        #expect(throws: (any Error).self) { try CallRecords.read(path + ".missing", since: nil) }
    }

    /// `--records postgres://…` in libpq's form: the password from the URL or PGPASSWORD and never
    /// shown; sslmode checked; a socket directory as `host`.
    @Test func postgresURLsReadAsLibpqDoes() throws {
        let full = try PostgresURL("postgres://ops:s%40cret@db.internal:6543/calls?sslmode=disable", environment: [:])
        #expect(full.description == "postgres://ops@db.internal:6543/calls?sslmode=disable")
        #expect(full.configuration.host == "db.internal" && full.configuration.port == 6543)
        #expect(full.configuration.username == "ops" && full.configuration.password == "s@cret" && full.configuration.database == "calls")
        #expect(!full.configuration.tls.isEnforced && !full.configuration.tls.isAllowed)
        let fromEnvironment = try PostgresURL("postgresql://ops@db.internal/calls", environment: ["PGPASSWORD": "env-secret"])
        #expect(fromEnvironment.configuration.password == "env-secret" && fromEnvironment.configuration.port == 5432)
        #expect(fromEnvironment.configuration.tls.isAllowed && !fromEnvironment.configuration.tls.isEnforced, "prefer, as libpq")
        #expect(try PostgresURL("postgres://ops@db/calls?sslmode=verify-full").configuration.tls.isEnforced)
        let socket = try PostgresURL("postgres://ops@/calls?host=/var/run/postgresql", environment: [:])
        #expect(socket.configuration.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(try PostgresURL("postgres://ops@db", environment: [:]).configuration.database == "ops", "the database defaults to the user")
        #expect(throws: PostgresURL.Error.self) { try PostgresURL("postgres://ops:pw@db/calls?sslmode=maybe") }
        #expect(CallRecords.describe("postgres://ops:pw@db/calls") == "postgres://ops@db/calls")
        #expect(CallRecords.describe("/var/lib/voiced/calls.sqlite") == "/var/lib/voiced/calls.sqlite")
    }

    @Test func sinceAcceptsDatesTimesAndAges() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(CallRecords.date(since: "30m", now: now) == now.addingTimeInterval(-1800))
        #expect(CallRecords.date(since: "7d", now: now) == now.addingTimeInterval(-7 * 86_400))
        #expect(CallRecords.date(since: "2026-11-28T09:00:00Z") == Date(timeIntervalSince1970: 1_795_856_400))
        #expect(CallRecords.date(since: "2026-11-28") == Date(timeIntervalSince1970: 1_795_824_000))
        #expect(CallRecords.date(since: "yesterday") == nil)
    }
}
