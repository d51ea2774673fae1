import Foundation

/// A fresh database for one test on the PostgreSQL server `scripts/start-postgres` starts (its URL
/// in `VOICED_TEST_POSTGRES_URL`), made and dropped — and read, independently of voiced's own
/// code — with PostgreSQL's `psql`.
///
/// - Threading: any thread; `psql` blocks the caller.
public struct PostgresTestDatabase: Sendable {
    /// The server's URL (its maintenance database), or nil when no server was set up.
    public static var serverURL: String? { ProcessInfo.processInfo.environment["VOICED_TEST_POSTGRES_URL"] }

    /// The new database's URL (with the test role's password).
    public let url: String
    public let name: String

    /// Creates an empty database with a unique name.
    public init() throws {
        guard let server = Self.serverURL, let components = URLComponents(string: server) else {
            throw PostgresTestError(description: "VOICED_TEST_POSTGRES_URL is not set (scripts/test runs scripts/start-postgres)")
        }
        name = "voiced_\(UUID().uuidString.prefix(8).lowercased())"
        var database = components
        database.path = "/" + name
        url = database.string!
        try Self.psql(server, "CREATE DATABASE \(name)")
    }

    /// Runs `sql` in this database; returns what it printed, one row a line, columns split by `|`.
    @discardableResult
    public func psql(_ sql: String) throws -> String { try Self.psql(url, sql) }

    /// Drops the database (closing what is still connected to it).
    public func drop() throws {
        try Self.psql(Self.serverURL!, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PostgresTestError(description: "psql: \(error)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct PostgresTestError: Error, CustomStringConvertible {
    public var description: String
}
