@testable import Bridge
import Foundation
import Logging
import Testing
import VoicedTesting

/// The call records in a real PostgreSQL server (the system's, started by scripts/start-postgres),
/// each test in a database of its own: rows written and read back, checked by `psql` as well;
/// instances that start together; a daemon whose connection the server drops; errors that name the
/// database and never the password.
@Suite(.enabled(if: PostgresTestDatabase.serverURL != nil, "needs VOICED_TEST_POSTGRES_URL (scripts/start-postgres)"), .serialized)
struct PostgresRecordsTests {
    static let logger = Logger(label: "test.postgres")

    static func call(_ n: Int, startedAt: String, from: String? = "+15551230000", reactions: [Int] = []) -> EndedCall {
        EndedCall(server: "host:\(n)", callID: UInt64(n), provider: "telnyx", providerCallID: "v3:call-\(n)", streamID: "stream-\(n)",
                  agent: "demo", graph: "standard", from: from, to: from == nil ? nil : "+15559870000",
                  customParameters: ["tenant": "acme", "quote": #"it's "quoted" — ünïcode"#], startedAt: startedAt,
                  endedAt: "2026-11-28T05:00:10.500Z", durationMs: 10_500 + n, endReason: "provider_stop", endDetail: "stop \(n)",
                  framesIn: 500, framesOut: 480, framesDropped: UInt64(n), uplinkP50Us: 123.5, uplinkP99Us: 987.25,
                  downlinkP50Us: 55, downlinkP99Us: 440.75, bargeIns: reactions.count, bargeInReactionMs: reactions,
                  recording: n == 2 ? "/var/lib/voiced/recordings/2.opus" : nil)
    }

    @Test func everyFieldGoesInAndComesBackAndPsqlSeesTheRows() throws {
        let database = try PostgresTestDatabase()
        defer { try? database.drop() }
        let store = try PostgresCallRecords(url: database.url, logger: Self.logger)
        defer { store.close() }
        let calls = [
            Self.call(1, startedAt: "2026-11-28T05:00:00.000Z", reactions: [120, 135]),
            Self.call(2, startedAt: "2026-11-28T05:00:01.250Z", from: nil),
            Self.call(3, startedAt: "2026-11-28T05:00:02.999Z"),
        ]
        try store.insert(Array(calls.prefix(2)))
        try store.insert([calls[2]])
        #expect(try store.calls(since: nil) == calls, "every field, in start order")
        #expect(try store.calls(since: "2026-11-28T05:00:01.250Z") == Array(calls.suffix(2)))

        // PostgreSQL's own client reads typed columns: JSONB, arrays in JSON, times, NULLs.
        let rows = try database.psql("""
            SELECT call_id, custom_parameters->>'tenant', barge_in_reaction_ms->>1, extract(epoch FROM ended_at - started_at),
                   coalesce(from_number, 'null'), pg_typeof(started_at)
            FROM voiced_calls ORDER BY id
            """).split(separator: "\n")
        #expect(rows == ["1|acme|135|10.500000|+15551230000|timestamp with time zone",
                         "2|acme||9.250000|null|timestamp with time zone",
                         "3|acme||7.501000|+15551230000|timestamp with time zone"])
        #expect(try database.psql("SELECT version FROM voiced_schema") == "1")
    }

    /// What a caller controls cannot fail a batch: NUL characters (which PostgreSQL's TEXT and
    /// JSONB refuse) are left out; a batch written twice (a retry after a lost COMMIT) adds nothing;
    /// a reader creates no tables.
    @Test func wireTextCannotFailABatchAndARetryAddsNothing() throws {
        let database = try PostgresTestDatabase()
        defer { try? database.drop() }
        #expect(throws: (any Error).self, "voiced calls on an empty database") { try CallRecords.read(database.url, since: nil) }
        #expect(try database.psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'voiced_%'") == "0", "the reader created nothing")
        let store = try PostgresCallRecords(url: database.url, logger: Self.logger)
        defer { store.close() }
        var hostile = Self.call(1, startedAt: "2026-11-28T05:00:00.000Z")
        hostile.customParameters = ["te\u{0}nant": "ac\u{0}me"]
        hostile.endDetail = "stop\u{0}ped"
        try store.insert([hostile, Self.call(2, startedAt: "2026-11-28T05:00:01.000Z")])
        try store.insert([hostile])
        let rows = try store.calls(since: nil)
        #expect(rows.count == 2, "the second insert of call 1 added nothing")
        #expect(rows.first?.customParameters == ["tenant": "acme"] && rows.first?.endDetail == "stopped")
    }

    /// A fleet starting at once: every instance migrates under the advisory lock, the schema is
    /// made once, and all of them write.
    @Test func instancesStartingTogetherMakeTheSchemaOnce() async throws {
        let database = try PostgresTestDatabase()
        defer { try? database.drop() }
        let url = database.url
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...4 {
                group.addTask {
                    // Off the cooperative pool: the store blocks its thread on the database.
                    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                        Thread.detachNewThread {
                            done.resume(with: Result {
                                let store = try PostgresCallRecords(url: url, logger: Self.logger)
                                defer { store.close() }
                                try store.insert([Self.call(n, startedAt: "2026-11-28T05:00:0\(n).000Z")])
                            })
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try database.psql("SELECT count(*) FROM voiced_schema") == "1")
        #expect(try database.psql("SELECT count(*) FROM voiced_calls") == "4")
    }

    /// `voiced serve --records postgres://…`: a call's record lands in PostgreSQL; after the server
    /// drops the daemon's connection, the next record goes through a new one — none lost.
    @Test func theDaemonWritesThroughADroppedConnection() async throws {
        let database = try PostgresTestDatabase()
        defer { try? database.drop() }
        let server = try await TestServer { $0.records = database.url }
        let records = try #require(server.server.records)
        for n in 1...2 {
            let call = try await server.call()
            call.sendConnectedAndStart(parameters: ["tenant": "acme-\(n)"])
            try await call.sendAudio(Array(try TestSpeech.frames().prefix(25)))
            _ = try await call.wait { $0.audio.count >= 25 * 160 }
            call.sendStop()
            await call.client.close()
            try await until { records.written.load(ordering: .relaxed) == UInt64(n) || records.dropped.load(ordering: .relaxed) > 0 }
            if n == 1 {
                #expect(try database.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database.name)' AND pid <> pg_backend_pid()") == "t")
            }
        }
        try await server.stop()
        #expect(records.dropped.load(ordering: .relaxed) == 0 && records.failures.load(ordering: .relaxed) == 0)
        #expect(try database.psql("SELECT custom_parameters->>'tenant', end_reason, frames_in FROM voiced_calls ORDER BY id")
            .split(separator: "\n") == ["acme-1|provider_stop|25", "acme-2|provider_stop|25"])
        let read = try CallRecords.read(database.url, since: Date().addingTimeInterval(-600))
        #expect(read.map(\.customParameters["tenant"]) == ["acme-1", "acme-2"], "voiced calls reads them back")
    }

    /// An unreachable server, a wrong password, a bad sslmode: the daemon does not start, and the
    /// error names the database and the cause, never the password.
    @Test func errorsNameTheDatabaseNeverThePassword() throws {
        let server = try #require(PostgresTestDatabase.serverURL.flatMap(URLComponents.init(string:)))
        var unreachable = server
        unreachable.port = 1
        var wrongPassword = server
        wrongPassword.password = "hunter2-wrong"
        for (url, cause) in [(unreachable.string!, "refused"), (wrongPassword.string!, "password authentication failed"),
                             (server.string! + "?sslmode=sometimes", "sslmode")] {
            var configuration = VoicedServer.Configuration()
            configuration.records = url
            do {
                _ = try VoicedServer(configuration: configuration)
                Issue.record("\(url) was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains(cause), "\(message)")
                #expect(message.contains("127.0.0.1"), "names the server: \(message)")
                #expect(!message.contains("hunter2"), "never the password: \(message)")
            }
        }
    }
}
