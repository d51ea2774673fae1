/// The settings a ``GraphSpec`` gives one node, as in `apm(ns=high, agc=on)`, read by the node's
/// factory in ``NodeCatalog`` through typed accessors that reject bad values with a message naming
/// the node, the parameter and what it accepts. A parameter no accessor read is an error too
/// (``rejectUnread()``), so a typo never passes silently.
///
/// - Threading: a value type, used on the control thread while the graph is built.
public struct NodeParameters: Sendable, Equatable {
    /// The node these settings belong to, for error messages.
    public let node: String
    private var values: [String: String]

    public init(node: String, values: [String: String] = [:]) {
        self.node = node
        self.values = values
    }

    /// An integer in `range`; `defaultValue` when absent.
    public mutating func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(GraphBuildError) -> Int {
        guard let text = take(key) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .badParameter(node: node, parameter: key, value: text, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A decimal number in `range`, e.g. `0.5`; `defaultValue` when absent.
    public mutating func number(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>) throws(GraphBuildError) -> Double {
        guard let text = take(key) else { return defaultValue }
        guard let value = Double(text), range.contains(value) else {
            throw .badParameter(node: node, parameter: key, value: text, expected: "a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`); `defaultValue` when absent.
    public mutating func flag(_ key: String, default defaultValue: Bool) throws(GraphBuildError) -> Bool {
        try choice(key, default: defaultValue, ["on": true, "off": false, "true": true, "false": false,
                                                 "yes": true, "no": false, "1": true, "0": false])
    }

    /// One of `options`' keys, mapped to its value; `defaultValue` when absent.
    public mutating func choice<T>(_ key: String, default defaultValue: T, _ options: KeyValuePairs<String, T>) throws(GraphBuildError) -> T {
        guard let text = take(key) else { return defaultValue }
        guard let match = options.first(where: { $0.key == text.lowercased() }) else {
            throw .badParameter(node: node, parameter: key, value: text, expected: "one of \(options.map(\.key).joined(separator: ", "))")
        }
        return match.value
    }

    /// The raw text of `key`, if set.
    public mutating func string(_ key: String) -> String? { take(key) }

    /// Whether the spec set `key` (without reading it).
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// Whether the spec gave no settings (or every one was read).
    public var isEmpty: Bool { values.isEmpty }

    /// The settings as a spec writes them, `key=value` in alphabetical order, comma-separated.
    public var text: String { values.keys.sorted().map { "\($0)=\(values[$0]!)" }.joined(separator: ", ") }

    /// Throws for the first parameter (alphabetically) that no accessor read.
    public func rejectUnread() throws(GraphBuildError) {
        guard let key = values.keys.sorted().first else { return }
        throw .unknownParameter(node: node, parameter: key)
    }

    private mutating func take(_ key: String) -> String? { values.removeValue(forKey: key) }
}
