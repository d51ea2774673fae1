import Foundation

/// `/metrics` of a test server, read by a real Prometheus text parser: `prometheus_client.parser`
/// (PyPI's official client, which scripts/install-deps installs) in a python3 process. A document
/// it cannot parse fails the scrape.
public struct PrometheusScrape: Sendable {
    /// One sample: its name (with `_bucket`, `_sum`, `_count` for histograms), labels and value.
    public struct Sample: Decodable, Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Each family's declared type (`counter`, `gauge`, `histogram`), by family name.
    public let types: [String: String]
    public let samples: [Sample]

    /// Scrapes `/metrics` on `port` and parses it.
    public init(port: Int) async throws {
        let response = try await RawSocket.request(port: port, path: "/metrics")
        guard response.status == 200 else { throw ParseError(description: "/metrics answered \(response.status)") }
        try self.init(text: response.text)
    }

    public init(text: String) throws {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            families = list(text_string_to_metric_families(sys.stdin.read()))
            print(json.dumps({"types": {f.name: f.type for f in families},
                              "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for f in families for s in f.samples]}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ParseError(description: "prometheus_client could not parse /metrics (is `pip install prometheus-client` done?): \(complaint)")
        }
        struct Parsed: Decodable {
            var types: [String: String]
            var samples: [Sample]
        }
        let parsed = try JSONDecoder().decode(Parsed.self, from: data)
        types = parsed.types
        samples = parsed.samples
    }

    /// The value of the one sample named `name` whose labels include `labels`; nil when none.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    /// Every sample named `name`.
    public func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
}
