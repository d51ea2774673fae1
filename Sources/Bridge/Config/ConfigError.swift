/// Why a configuration file (or a flag standing in for one of its keys) was refused. Each case
/// names the key, so the message says exactly what to fix; none ever shows a secret's value.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The file is not valid TOML.
    case syntax(line: Int, column: Int, message: String)
    /// The file cannot be read.
    case unreadable(path: String, reason: String)
    /// A key voiced does not know (a typo never passes silently).
    case unknownKey(String)
    /// A required key is absent.
    case missing(String)
    /// A key has a value it does not accept.
    case badValue(key: String, value: String, expected: String)
    /// A secret's environment variable is not set.
    case missingSecret(key: String, variable: String)

    public var description: String {
        switch self {
        case let .syntax(line, column, message): "line \(line), column \(column): \(message)"
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .unknownKey(key): "unknown key '\(key)' (docs/configuration.md lists them)"
        case let .missing(key): "'\(key)' is required"
        case let .badValue(key, value, expected): "\(key) = \(value) is not accepted; expected \(expected)"
        case let .missingSecret(key, variable): "\(key): the environment variable \(variable) is not set"
        }
    }
}
