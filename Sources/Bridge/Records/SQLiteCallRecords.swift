import Foundation

/// The call records in an SQLite file: table `calls`, one row per ended call, its columns the
/// ``EndedCall`` keys (custom parameters and barge-in reactions as JSON text); the schema is
/// created or migrated when the file is opened (`PRAGMA user_version`). WAL journal, so
/// `voiced calls` (or any sqlite3 shell) reads while the daemon writes.
///
/// - Threading: one thread at a time.
final class SQLiteCallRecords: CallRecordStore {
    /// The schema this code writes.
    static let schemaVersion = 1

    private let database: SQLiteDatabase
    private static let columns = EndedCall.recordColumns.map(\.name)

    /// Opens `path` (created when absent) and brings its schema up to date. Throws naming the file.
    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        do {
            try database.execute("PRAGMA journal_mode = WAL")
            try migrate()
        } catch {
            throw SQLiteDatabase.Error(description: "\(path): \(error)")
        }
    }

    private func migrate() throws {
        let version = try database.userVersion
        guard version < Self.schemaVersion else {
            guard version == Self.schemaVersion else {
                throw SQLiteDatabase.Error(description: "schema version \(version) is newer than this voiced knows (\(Self.schemaVersion))")
            }
            return
        }
        try database.execute("""
            BEGIN;
            CREATE TABLE calls (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                server TEXT NOT NULL, call_id INTEGER NOT NULL, provider TEXT NOT NULL, provider_call_id TEXT NOT NULL,
                stream_id TEXT NOT NULL, agent TEXT NOT NULL, graph TEXT NOT NULL, from_number TEXT, to_number TEXT,
                custom_parameters TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL, duration_ms INTEGER NOT NULL,
                end_reason TEXT NOT NULL, end_detail TEXT NOT NULL, frames_in INTEGER NOT NULL, frames_out INTEGER NOT NULL,
                frames_dropped INTEGER NOT NULL, uplink_p50_us REAL NOT NULL, uplink_p99_us REAL NOT NULL,
                downlink_p50_us REAL NOT NULL, downlink_p99_us REAL NOT NULL, barge_ins INTEGER NOT NULL,
                barge_in_reaction_ms TEXT NOT NULL, recording TEXT
            );
            CREATE INDEX calls_started_at ON calls (started_at);
            CREATE INDEX calls_provider_call_id ON calls (provider_call_id);
            PRAGMA user_version = \(Self.schemaVersion);
            COMMIT;
            """)
    }

    /// SQLite takes any row its columns' types allow, so what fails here is the file (full,
    /// locked too long, gone): ``CallRecordStoreError/unavailable(_:)``.
    func insert(_ calls: [EndedCall]) throws {
        let sql = "INSERT INTO calls (\(Self.columns.joined(separator: ", "))) VALUES (\(Self.columns.map { _ in "?" }.joined(separator: ", ")))"
        do {
            try database.execute("BEGIN")
            do {
                for call in calls { try database.query(sql, call.recordRow) }
                try database.execute("COMMIT")
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        } catch {
            throw CallRecordStoreError.unavailable("\(error)")
        }
    }

    func calls(since: String?) throws -> [EndedCall] {
        let select = "SELECT \(Self.columns.joined(separator: ", ")) FROM calls"
        let rows = if let since {
            try database.query(select + " WHERE started_at >= ? ORDER BY started_at, id", [.text(since)])
        } else {
            try database.query(select + " ORDER BY started_at, id")
        }
        return rows.map(EndedCall.init(recordRow:))
    }
}
