import Logging
import NIOPosix
import PostgresNIO

/// The call records in a PostgreSQL database (postgres-nio), for a fleet of instances that share
/// one: table `voiced_calls`, one row per ended call, its columns the ``EndedCall`` keys (custom
/// parameters and barge-in reactions as JSONB, times as TIMESTAMPTZ), unique per (server, call id,
/// start) so a batch written twice adds nothing. The schema is checked at start-up and created
/// when absent, inside one transaction that holds an advisory lock, so instances starting together
/// do not race; its version is in `voiced_schema`. A reader (`voiced calls`) creates nothing.
///
/// One connection, opened at init; when the server or the network drops it, the batch goes again
/// through a new one (``withConnection``). Errors the server answers are
/// ``CallRecordStoreError/rejected(_:)``, anything else (unreachable, dropped, timed out)
/// ``CallRecordStoreError/unavailable(_:)``: the ``CallRecordWriter`` retries those.
///
/// - Threading: one thread at a time (the record writer's queue, or a command-line tool); it
///   blocks that thread on the database (never an event loop: the store has its own). The daemon
///   makes it once at start-up, before it serves, so that one wait is bounded by the connect
///   timeout and delays nothing else.
/// - Ownership: owns its event loop and connection; `close` ends both.
final class PostgresCallRecords: CallRecordStore {
    /// The schema this code writes.
    static let schemaVersion = 1
    /// Rows per INSERT statement (25 parameters each: well under PostgreSQL's 65,535).
    static let rowsPerStatement = 500
    /// How long one statement may take before the connection is given up.
    static let queryTimeout = TimeAmount.seconds(15)
    /// The advisory lock migrations hold ("voiced" in ASCII).
    private static let migrationLock: Int64 = 0x766F_6963_6564

    let url: PostgresURL
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger
    private var connection: PostgresConnection?
    private var closed = false

    /// Connects to `url` and checks the schema — creating it when absent, if `creating` (the
    /// daemon; a reader creates nothing). Throws naming the database (never the password) and what
    /// went wrong.
    init(url: String, creating: Bool = true, logger: Logger) throws {
        self.logger = logger
        do {
            self.url = try PostgresURL(url)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        do {
            try withConnection { try migrate($0, creating: creating) }
        } catch {
            close()
            throw PostgresURL.Error(description: "\(self.url): \(Self.describe(error))")
        }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        _ = try? connection?.close().wait()
        connection = nil
        try? group.syncShutdownGracefully()
    }

    /// Reads the schema's version — creating the tables when there are none and `creating` — under
    /// the advisory lock. Asks only for what it uses: a role that may insert and select but not
    /// create runs a database someone else set up.
    private func migrate(_ connection: PostgresConnection, creating: Bool) throws {
        try transaction(on: connection) {
            try run(PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(\(Self.migrationLock))"), on: connection)
            let exists = try run("SELECT to_regclass('voiced_schema') IS NOT NULL", on: connection).first.map { try $0.decode(Bool.self) } ?? false
            let version = exists ? try run("SELECT max(version) FROM voiced_schema", on: connection).first.flatMap { try $0.decode(Int32?.self) } : nil
            switch version.map(Int.init) {
            case nil:
                guard creating else {
                    throw PostgresURL.Error(description: "no call records here yet (voiced serve --records creates the tables)")
                }
                try run("CREATE TABLE IF NOT EXISTS voiced_schema (version INTEGER NOT NULL)", on: connection)
                let columns = EndedCall.recordColumns.map { "\($0.name) \(Self.sqlType($0.kind))" }.joined(separator: ", ")
                try run(PostgresQuery(unsafeSQL: "CREATE TABLE voiced_calls (id BIGSERIAL PRIMARY KEY, \(columns), UNIQUE (server, call_id, started_at))"),
                        on: connection)
                try run("CREATE INDEX voiced_calls_started_at ON voiced_calls (started_at)", on: connection)
                try run("CREATE INDEX voiced_calls_provider_call_id ON voiced_calls (provider_call_id)", on: connection)
                try run(PostgresQuery(unsafeSQL: "INSERT INTO voiced_schema (version) VALUES (\(Self.schemaVersion))"), on: connection)
            case Self.schemaVersion?:
                break
            case let other?:
                throw PostgresURL.Error(description: "schema version \(other) is newer than this voiced knows (\(Self.schemaVersion))")
            }
        }
    }

    func insert(_ calls: [EndedCall]) throws {
        guard !closed else { throw CallRecordStoreError.unavailable("\(url): closed") }
        let columns = EndedCall.recordColumns
        let names = columns.map(\.name).joined(separator: ", ")
        do {
            try withConnection { connection in
                try transaction(on: connection) {
                    var start = 0
                    while start < calls.count {
                        let batch = calls[start..<min(start + Self.rowsPerStatement, calls.count)]
                        var binds = PostgresBindings(capacity: batch.count * columns.count)
                        var rows: [String] = []
                        for call in batch {
                            let first = binds.count
                            for value in call.recordRow { Self.bind(value, into: &binds) }
                            rows.append("(" + columns.enumerated().map { "$\(first + $0.offset + 1)\(Self.cast($0.element.kind))" }
                                .joined(separator: ", ") + ")")
                        }
                        try run(PostgresQuery(unsafeSQL: "INSERT INTO voiced_calls (\(names)) VALUES \(rows.joined(separator: ", "))"
                                                  + " ON CONFLICT DO NOTHING", binds: binds), on: connection)
                        start += batch.count
                    }
                }
            }
        } catch let error as PSQLError where error.serverInfo != nil {
            throw CallRecordStoreError.rejected("\(url): \(Self.describe(error))")
        } catch {
            throw CallRecordStoreError.unavailable("\(url): \(Self.describe(error))")
        }
    }

    func calls(since: String?) throws -> [EndedCall] {
        guard !closed else { throw PostgresURL.Error(description: "\(url): closed") }
        let columns = EndedCall.recordColumns
        let select = "SELECT \(columns.map(Self.selectExpression).joined(separator: ", ")) FROM voiced_calls"
        var binds = PostgresBindings()
        var sql = select + " ORDER BY started_at, id"
        if let since {
            binds.append(since)
            sql = select + " WHERE started_at >= $1::timestamptz ORDER BY started_at, id"
        }
        do {
            return try withConnection { connection in
                try run(PostgresQuery(unsafeSQL: sql, binds: binds), on: connection).map { row in
                    let cells = row.makeRandomAccess()
                    return EndedCall(recordRow: try columns.indices.map { try Self.value(cells[$0], columns[$0].kind) })
                }
            }
        } catch {
            throw PostgresURL.Error(description: "\(url): \(Self.describe(error))")
        }
    }

    // MARK: Connection

    /// Runs `body` on the connection, opening one first when there is none. When the connection
    /// it had turns out closed (a restarted server, a dropped link), `body` runs once more on a new
    /// one — its transaction had not committed. After any other failure the connection is closed,
    /// and the next use opens another.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        if let connection, connection.isClosed {
            // Dropped while idle (a query on a closed channel would never answer).
            self.connection = nil
        }
        if let connection {
            do {
                return try body(connection)
            } catch where connection.isClosed {
                self.connection = nil
            } catch {
                _ = try? connection.close().wait()
                self.connection = nil
                throw error
            }
        }
        let connection = try PostgresConnection.connect(on: group.next(), configuration: url.configuration, id: 1, logger: logger).wait()
        self.connection = connection
        do {
            return try body(connection)
        } catch {
            _ = try? connection.close().wait()
            self.connection = nil
            throw error
        }
    }

    private func transaction(on connection: PostgresConnection, _ body: () throws -> Void) throws {
        try run("BEGIN", on: connection)
        try body()
        try run("COMMIT", on: connection)
    }

    /// Runs `query`; one that has not answered within ``queryTimeout`` closes the connection, which
    /// fails it (a stalled server or a black-holed link never holds the writer for longer).
    @discardableResult
    private func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        let deadline = connection.eventLoop.scheduleTask(in: Self.queryTimeout) { connection.close().whenComplete { _ in } }
        defer { deadline.cancel() }
        return try connection.query(query, logger: logger).wait()
    }

    // MARK: Columns

    private static func sqlType(_ kind: RecordColumn.Kind) -> String {
        switch kind {
        case .text: "TEXT NOT NULL"
        case .optionalText: "TEXT"
        case .integer: "BIGINT NOT NULL"
        case .real: "DOUBLE PRECISION NOT NULL"
        case .json: "JSONB NOT NULL"
        case .timestamp: "TIMESTAMPTZ NOT NULL"
        }
    }

    /// What a bound value (text for JSON and times) is cast to.
    private static func cast(_ kind: RecordColumn.Kind) -> String {
        switch kind {
        case .json: "::jsonb"
        case .timestamp: "::timestamptz"
        default: ""
        }
    }

    /// A column as text where the row wants text: JSON as written, times as ``EndedCall/timestamp(_:)``.
    private static func selectExpression(_ column: RecordColumn) -> String {
        switch column.kind {
        case .json: "\(column.name)::text"
        case .timestamp: #"to_char(\#(column.name) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
        default: column.name
        }
    }

    private static func bind(_ value: RecordValue, into binds: inout PostgresBindings) {
        switch value {
        case .null: binds.appendNull()
        case let .integer(n): binds.append(n)
        case let .real(x): binds.append(x)
        case let .text(s): binds.append(s)
        }
    }

    private static func value(_ cell: PostgresCell, _ kind: RecordColumn.Kind) throws -> RecordValue {
        switch kind {
        case .text, .json, .timestamp: .text(try cell.decode(String.self))
        case .optionalText: try cell.decode(String?.self).map(RecordValue.text) ?? .null
        case .integer: .integer(try cell.decode(Int64.self))
        case .real: .real(try cell.decode(Double.self))
        }
    }

    /// What went wrong, from postgres-nio's error: the server's message, or the connection's
    /// failure (its description alone says nothing, to keep secrets out of logs by default).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
