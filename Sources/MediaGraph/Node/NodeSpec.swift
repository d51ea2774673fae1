/// One entry of a ``GraphSpec`` chain: a node name from a ``NodeCatalog`` with optional settings,
/// written `name` or `name(key=value, key=value)`, e.g. `apm(ns=high, agc=on)`. Parsed once, when a
/// spec is read; the catalog checks the name and the node's factory the settings when a graph is built.
///
/// In code, a string literal is a node spec (`let spec: NodeSpec = "vad(hangover-ms=500)"`); a
/// literal that does not parse stops the program, like any other programming error.
///
/// - Threading: a value type; safe anywhere.
public struct NodeSpec: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public let name: String
    public let parameters: NodeParameters

    public init(stringLiteral text: String) {
        do {
            try self.init(parsing: text)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// The entry as a spec writes it (settings in alphabetical order).
    public var description: String {
        parameters.isEmpty ? name : "\(name)(\(parameters.text))"
    }

    /// Parses one entry; throws ``GraphBuildError/badSpec(_:)`` with what is wrong.
    public init(parsing text: String) throws(GraphBuildError) {
        let trimmed = text.trimmingSpaces
        guard let open = trimmed.firstIndex(of: "(") else {
            try self.init(name: trimmed, values: [:], text: text)
            return
        }
        guard trimmed.hasSuffix(")") else { throw .badSpec("'\(text)': a node's settings end with ')'") }
        let name = String(trimmed[..<open]).trimmingSpaces
        var values: [String: String] = [:]
        let inside = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        for pair in inside.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .badSpec("'\(text)': settings are key=value pairs separated by commas")
            }
            guard values.updateValue(parts[1], forKey: parts[0]) == nil else {
                throw .badSpec("'\(text)': '\(parts[0])' is set twice")
            }
        }
        try self.init(name: name, values: values, text: text)
    }

    private init(name: String, values: [String: String], text: String) throws(GraphBuildError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .badSpec("'\(text)': a node name is letters, digits and dashes")
        }
        self.name = name
        parameters = NodeParameters(node: name, values: values)
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
