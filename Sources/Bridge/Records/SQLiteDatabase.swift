import CSQLite

/// One connection to an SQLite database file through the system's libsqlite3: statements prepared,
/// bound, stepped and read, errors thrown with SQLite's own message. Just what the call records
/// need.
///
/// - Threading: one thread at a time (the record writer's queue, or a command-line tool).
/// - Ownership: opens the file at init and closes it in deinit.
final class SQLiteDatabase {
    struct Error: Swift.Error, CustomStringConvertible {
        var description: String
    }

    /// A value to bind or one read from a row.
    typealias Value = RecordValue

    private var handle: OpaquePointer?

    /// Opens (creating when absent) the database at `path`; waits up to 5 s for another writer's
    /// lock instead of failing at once.
    init(path: String) throws {
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw Error(description: "cannot open \(path): \(message)")
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit { sqlite3_close(handle) }

    /// Runs `sql` (one or more statements, no parameters, no rows wanted).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            defer { sqlite3_free(message) }
            throw Error(description: message.map { String(cString: $0) } ?? "sqlite3_exec failed")
        }
    }

    /// Runs `sql` with `values` bound to its `?`s; returns every row it yields.
    @discardableResult
    func query(_ sql: String, _ values: [Value] = []) throws -> [[Value]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw lastError() }
        defer { sqlite3_finalize(statement) }
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc = switch value {
            case .null: sqlite3_bind_null(statement, index)
            case let .integer(n): sqlite3_bind_int64(statement, index, n)
            case let .real(x): sqlite3_bind_double(statement, index, x)
            // SQLITE_TRANSIENT: SQLite copies the text before the Swift string goes.
            case let .text(s): sqlite3_bind_text(statement, index, s, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
            guard rc == SQLITE_OK else { throw lastError() }
        }
        var rows: [[Value]] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append((0..<sqlite3_column_count(statement)).map { column(statement, $0) })
            case SQLITE_DONE:
                return rows
            default:
                throw lastError()
            }
        }
    }

    /// The schema version (`PRAGMA user_version`).
    var userVersion: Int {
        get throws {
            guard case let .integer(n) = try query("PRAGMA user_version").first?.first else { return 0 }
            return Int(n)
        }
    }

    private func column(_ statement: OpaquePointer?, _ index: Int32) -> Value {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, index)))
        default: .null
        }
    }

    private func lastError() -> Error { Error(description: String(cString: sqlite3_errmsg(handle))) }
}
