import Foundation
import Logging

/// Where the call records are (`--records`), and reading them from outside the daemon (`voiced calls`).
public enum CallRecords {
    /// The store `location` names: a `postgres://` URL (``PostgresCallRecords``) or an SQLite file
    /// path (``SQLiteCallRecords``). Throws naming the file or database (never a password).
    /// `creating`: the daemon makes the tables when they are absent; a reader does not.
    static func store(at location: String, creating: Bool = true, logger: Logger) throws -> CallRecordStore {
        PostgresURL.names(location)
            ? try PostgresCallRecords(url: location, creating: creating, logger: logger)
            : try SQLiteCallRecords(path: location)
    }

    /// `location` for people to read: a PostgreSQL URL without its password.
    public static func describe(_ location: String) -> String {
        guard PostgresURL.names(location) || location.contains("://") else { return location }
        return (try? PostgresURL(location, environment: [:]).description) ?? "\(location.prefix { $0 != ":" })://…"
    }

    /// The calls in the records at `location` (an SQLite file or a `postgres://` URL) that started
    /// at or after `since` (nil: all), oldest first. Throws naming the file or database when they
    /// cannot be read.
    public static func read(_ location: String, since: Date?) throws -> [EndedCall] {
        if !PostgresURL.names(location), !FileManager.default.fileExists(atPath: location) {
            throw SQLiteDatabase.Error(description: "\(location): no such file (voiced serve writes it; see --records)")
        }
        let store = try store(at: location, creating: false, logger: Logger(label: "voiced.records"))
        defer { store.close() }
        return try store.calls(since: since.map(EndedCall.timestamp))
    }

    /// `--since` as a date: ISO 8601 (`2026-11-28`, `2026-11-28T09:00:00Z`) or an age before `now`
    /// (`90s`, `30m`, `2h`, `7d`). Nil for text that is neither.
    public static func date(since text: String, now: Date = Date()) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 {
            return now.addingTimeInterval(-amount * unit)
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let day = try? Date(text, strategy: .iso8601.year().month().day()) { return day }
        return nil
    }
}
