import TOMLKit

/// Typed, key-checked reads from one table of the configuration file, in the manner of
/// ``MediaGraph/NodeParameters``: every read names its full key in errors, and ``rejectUnread()``
/// refuses any key nobody read, so a typo is an error rather than a silently ignored setting.
///
/// - Threading: used once, while the configuration is loaded (any thread).
struct ConfigTable {
    /// The table's dotted path (`agents.sales`), for messages.
    let path: String
    private let table: TOMLTable
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    private func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private mutating func value(_ name: String) -> TOMLValueConvertible? {
        read.insert(name)
        return table[name]
    }

    mutating func string(_ name: String) throws(ConfigError) -> String? {
        guard let value = value(name) else { return nil }
        guard let text = value.string else { throw .badValue(key: key(name), value: "\(value)", expected: "a string") }
        return text
    }

    mutating func requiredString(_ name: String) throws(ConfigError) -> String {
        guard let text = try string(name) else { throw .missing(key(name)) }
        return text
    }

    mutating func choice(_ name: String, _ allowed: [String]) throws(ConfigError) -> String? {
        guard let text = try string(name) else { return nil }
        guard allowed.contains(text) else {
            throw .badValue(key: key(name), value: "\"\(text)\"", expected: "one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    mutating func int(_ name: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = value(name) else { return nil }
        guard let number = value.int, range.contains(number) else {
            throw .badValue(key: key(name), value: "\(value)", expected: "an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    mutating func double(_ name: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let value = value(name) else { return nil }
        guard let number = value.double ?? value.int.map(Double.init), range.contains(number) else {
            throw .badValue(key: key(name), value: "\(value)", expected: "a number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    mutating func bool(_ name: String) throws(ConfigError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard let flag = value.bool else { throw .badValue(key: key(name), value: "\(value)", expected: "true or false") }
        return flag
    }

    mutating func strings(_ name: String) throws(ConfigError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard let array = value.array, let items = Optional(array.compactMap(\.string)), items.count == array.count else {
            throw .badValue(key: key(name), value: "\(value)", expected: "an array of strings")
        }
        return items
    }

    /// A secret named by an environment variable: `NAME_env = "VARIABLE"` → the variable's value,
    /// which must be set and not empty; nil when the key is absent.
    mutating func secret(_ name: String, environment: [String: String]) throws(ConfigError) -> String? {
        guard let variable = try string(name) else { return nil }
        guard let secret = environment[variable], !secret.isEmpty else { throw .missingSecret(key: key(name), variable: variable) }
        return secret
    }

    /// The sub-table `name`, or nil when absent.
    mutating func table(_ name: String) throws(ConfigError) -> ConfigTable? {
        guard let value = value(name) else { return nil }
        guard let table = value.table else { throw .badValue(key: key(name), value: "\(value)", expected: "a table") }
        return ConfigTable(table, path: key(name))
    }

    /// Every key of the table, sorted (for tables of named entries such as `[agents.NAME]`).
    var keys: [String] { table.keys.sorted() }

    /// Throws for the first key (sorted) that no read asked for.
    func rejectUnread() throws(ConfigError) {
        if let stray = table.keys.sorted().first(where: { !read.contains($0) }) { throw .unknownKey(key(stray)) }
    }
}
