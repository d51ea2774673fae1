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
    private static let columns = [
        "server", "call_id", "provider", "provider_call_id", "stream_id", "agent", "graph", "from_number", "to_number",
        "custom_parameters", "started_at", "ended_at", "duration_ms", "end_reason", "end_detail", "frames_in", "frames_out",
        "frames_dropped", "uplink_p50_us", "uplink_p99_us", "downlink_p50_us", "downlink_p99_us", "barge_ins",
        "barge_in_reaction_ms", "recording",
    ]

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

    func insert(_ calls: [EndedCall]) throws {
        let sql = "INSERT INTO calls (\(Self.columns.joined(separator: ", "))) VALUES (\(Self.columns.map { _ in "?" }.joined(separator: ", ")))"
        try database.execute("BEGIN")
        do {
            for call in calls { try database.query(sql, Self.values(call)) }
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    func calls(since: String?) throws -> [EndedCall] {
        let select = "SELECT \(Self.columns.joined(separator: ", ")) FROM calls"
        let rows = if let since {
            try database.query(select + " WHERE started_at >= ? ORDER BY started_at, id", [.text(since)])
        } else {
            try database.query(select + " ORDER BY started_at, id")
        }
        return rows.map(Self.call)
    }

    private static func values(_ call: EndedCall) -> [SQLiteDatabase.Value] {
        let parameters = (try? JSONEncoder().encode(call.customParameters)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let reactions = "[" + call.bargeInReactionMs.map(String.init).joined(separator: ",") + "]"
        return [
            .text(call.server), .integer(Int64(call.callID)), .text(call.provider), .text(call.providerCallID), .text(call.streamID),
            .text(call.agent), .text(call.graph), call.from.map { .text($0) } ?? .null, call.to.map { .text($0) } ?? .null,
            .text(parameters), .text(call.startedAt), .text(call.endedAt), .integer(Int64(call.durationMs)), .text(call.endReason),
            .text(call.endDetail), .integer(Int64(call.framesIn)), .integer(Int64(call.framesOut)), .integer(Int64(call.framesDropped)),
            .real(call.uplinkP50Us), .real(call.uplinkP99Us), .real(call.downlinkP50Us), .real(call.downlinkP99Us),
            .integer(Int64(call.bargeIns)), .text(reactions), call.recording.map { .text($0) } ?? .null,
        ]
    }

    private static func call(_ row: [SQLiteDatabase.Value]) -> EndedCall {
        var index = 0
        func next() -> SQLiteDatabase.Value {
            defer { index += 1 }
            return index < row.count ? row[index] : .null
        }
        func text() -> String { if case let .text(s) = next() { s } else { "" } }
        func optionalText() -> String? { if case let .text(s) = next() { s } else { nil } }
        func integer() -> Int64 { if case let .integer(n) = next() { n } else { 0 } }
        func real() -> Double {
            switch next() {
            case let .real(x): x
            case let .integer(n): Double(n)
            default: 0
            }
        }
        func decoded<T: Decodable>(_ type: T.Type, _ fallback: T) -> T {
            (try? JSONDecoder().decode(type, from: Data(text().utf8))) ?? fallback
        }
        return EndedCall(
            server: text(), callID: UInt64(integer()), provider: text(), providerCallID: text(), streamID: text(), agent: text(),
            graph: text(), from: optionalText(), to: optionalText(), customParameters: decoded([String: String].self, [:]),
            startedAt: text(), endedAt: text(), durationMs: Int(integer()), endReason: text(), endDetail: text(),
            framesIn: UInt64(integer()), framesOut: UInt64(integer()), framesDropped: UInt64(integer()), uplinkP50Us: real(),
            uplinkP99Us: real(), downlinkP50Us: real(), downlinkP99Us: real(), bargeIns: Int(integer()),
            bargeInReactionMs: decoded([Int].self, []), recording: optionalText())
    }
}
