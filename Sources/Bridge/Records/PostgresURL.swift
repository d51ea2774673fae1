import Foundation
import NIOSSL
import PostgresNIO

/// A PostgreSQL connection URL in libpq's form — `postgres://user[:password]@host[:port]/database`
/// `[?sslmode=…&host=/socket/dir]` — as postgres-nio's connection configuration.
///
/// - The password comes from the URL or, when it has none, from `PGPASSWORD` (as libpq): keep it
///   out of command lines and config files by using the variable.
/// - `sslmode`: `disable`; `prefer` (the default, as libpq: TLS when the server offers it, its
///   certificate not checked); `require` (TLS, not checked); `verify-full` (TLS, the certificate
///   and host name checked against the system's roots).
/// - A `host` query parameter that is a directory connects through the server's Unix socket there.
///
/// - Threading: a value.
struct PostgresURL: CustomStringConvertible {
    struct Error: Swift.Error, CustomStringConvertible {
        var description: String
    }

    let configuration: PostgresConnection.Configuration
    /// The URL with its password left out, for logs and errors.
    let description: String

    /// The query parameters voiced reads.
    private static let parameters: Set<String> = ["sslmode", "host"]

    /// Whether `location` (a `--records` value) names a PostgreSQL database rather than a file.
    static func names(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.names(text), let url = URLComponents(string: text) else {
            throw Error(description: "not a postgres:// URL")
        }
        // Shown without the password, and with only the parameters voiced reads.
        var redacted = url
        redacted.password = nil
        redacted.queryItems = url.queryItems?.filter { Self.parameters.contains($0.name) }
        if redacted.queryItems?.isEmpty == true { redacted.queryItems = nil }
        description = redacted.string ?? "postgres://"
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let unknown = query.keys.sorted().first(where: { !Self.parameters.contains($0) }) {
            throw Error(description: "\(description): parameter '\(unknown)' (voiced reads \(Self.parameters.sorted().joined(separator: ", ")); the password comes from PGPASSWORD)")
        }
        // URLComponents has already removed the percent-encoding.
        let user = url.user ?? environment["PGUSER"] ?? "postgres"
        let password = url.password ?? environment["PGPASSWORD"]
        var database = String(url.path.drop { $0 == "/" })
        if database.isEmpty { database = user }
        let port = url.port ?? 5432
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password,
                                  database: database)
            return
        }
        let host = url.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch query["sslmode"] ?? "prefer" {
            case "disable":
                tls = .disable
            case "prefer", "allow":
                tls = .prefer(try Self.context(verifying: false))
            case "require":
                tls = .require(try Self.context(verifying: false))
            case "verify-full", "verify-ca":
                tls = .require(try Self.context(verifying: true))
            case let other:
                throw Error(description: "\(description): sslmode '\(other)' (expected disable, prefer, require or verify-full)")
            }
        } catch let error as Error {
            throw error
        } catch {
            throw Error(description: "\(description): TLS: \(error)")
        }
        configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    private static func context(verifying: Bool) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !verifying { tls.certificateVerification = .none }
        return try NIOSSLContext(configuration: tls)
    }
}
