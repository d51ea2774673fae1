/// Where ended calls are kept: one row per call. SQLite by default (``SQLiteCallRecords``), or a
/// PostgreSQL database a fleet shares (``PostgresCallRecords``).
///
/// - Threading: one thread at a time (the ``CallRecordWriter``'s queue, or a command-line tool).
protocol CallRecordStore: AnyObject {
    /// Adds `calls`, all or none. Throws ``CallRecordStoreError``.
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

/// Why a store did not take a batch: the writer retries the batch later when the store is
/// unavailable, and tries its rows one by one when the store rejected one of them.
enum CallRecordStoreError: Error, CustomStringConvertible {
    /// The store cannot be reached or written now (a database down, a disk full): try again later.
    case unavailable(String)
    /// The store refused the data (a row it cannot hold): the batch's other rows may go in alone.
    case rejected(String)

    var description: String {
        switch self {
        case let .unavailable(reason), let .rejected(reason): reason
        }
    }
}
