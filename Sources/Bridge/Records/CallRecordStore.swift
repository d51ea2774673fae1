/// Where ended calls are kept: one row per call. SQLite by default (``SQLiteCallRecords``), or a
/// PostgreSQL database a fleet shares (``PostgresCallRecords``).
///
/// - Threading: one thread at a time (the ``CallRecordWriter``'s queue, or a command-line tool).
protocol CallRecordStore: AnyObject {
    /// Adds `calls`, all or none.
    func insert(_ calls: [EndedCall]) throws
    /// The calls that started at or after `since` (an ``EndedCall/timestamp(_:)``; nil: all),
    /// oldest first.
    func calls(since: String?) throws -> [EndedCall]
    /// Lets go of the database (a connection, an event loop); nothing is used after.
    func close()
}

extension CallRecordStore {
    func close() {}
}
