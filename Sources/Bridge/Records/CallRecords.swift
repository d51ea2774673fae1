import Foundation

/// Reading the call records from outside the daemon (`voiced calls`).
public enum CallRecords {
    /// The calls in the SQLite records at `path` that started at or after `since` (nil: all),
    /// oldest first. Throws naming the file when it cannot be read.
    public static func read(path: String, since: Date?) throws -> [EndedCall] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SQLiteDatabase.Error(description: "\(path): no such file (voiced serve writes it; see --records)")
        }
        return try SQLiteCallRecords(path: path).calls(since: since.map(EndedCall.timestamp))
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
