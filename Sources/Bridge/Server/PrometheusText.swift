import MediaGraph

/// Writes metric families in the Prometheus text exposition format (version 0.0.4): `# HELP` and
/// `# TYPE` once per family, then its samples; label values escaped (`\\`, `\"`, `\n`).
///
/// - Threading: a value; one writer at a time.
struct PrometheusText {
    private(set) var text = ""

    enum Kind: String {
        case counter, gauge, histogram
    }

    /// Starts family `name`.
    mutating func family(_ name: String, _ kind: Kind, help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample of the current family (`name` may carry a suffix such as `_bucket`).
    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(Self.format(value))\n"
    }

    mutating func sample(_ name: String, labels: [(String, String)] = [], _ value: some BinaryInteger) {
        sample(name, labels: labels, Double(value))
    }

    /// A whole histogram of `name` (its family started), in seconds: cumulative `_bucket`s up to
    /// `+Inf`, `_sum` and `_count`. The count is the `+Inf` bucket, so the two always agree.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ snapshot: LiveHistograms.Snapshot, boundsNanos: [UInt64]) {
        var cumulative: UInt64 = 0
        for (i, bound) in boundsNanos.enumerated() {
            cumulative &+= snapshot.counts[i]
            sample(name + "_bucket", labels: labels + [("le", Self.format(Double(bound) / 1e9))], cumulative)
        }
        cumulative &+= snapshot.counts[boundsNanos.count]
        sample(name + "_bucket", labels: labels + [("le", "+Inf")], cumulative)
        sample(name + "_sum", labels: labels, Double(snapshot.sumNanos) / 1e9)
        sample(name + "_count", labels: labels, cumulative)
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// Integers without a fraction, others as Swift prints them (`2.5e-05`).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
