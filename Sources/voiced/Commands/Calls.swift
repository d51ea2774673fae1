import ArgumentParser
import Bridge
import Foundation

/// `voiced calls`: lists ended calls from the records `voiced serve` writes.
struct Calls: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List ended calls from the call records.",
        discussion: """
            One row per ended call, oldest first: when it started, how long it lasted, its
            provider and ids, agent and graph, why it ended, frames each way and dropped,
            uplink and downlink latency (p50/p99), barge-ins. --json prints one JSON object
            per line with every field (docs/operations.md lists them). The daemon may be
            writing at the same time.
            """)

    @Option(help: "The records voiced serve writes: an SQLite file, or a postgres://user@host/database URL (the password from PGPASSWORD). (env: VOICED_RECORDS; default: voiced-calls.sqlite)")
    var records: String?

    @Option(help: "Only calls that started at or after this: an ISO 8601 date or time (2026-11-28, 2026-11-28T09:00:00Z) or an age (90s, 30m, 2h, 7d).")
    var since: String?

    @Flag(help: "One JSON object per call and line, instead of a table.")
    var json = false

    func run() throws {
        let location = records ?? ProcessInfo.processInfo.environment["VOICED_RECORDS"] ?? "voiced-calls.sqlite"
        var from: Date?
        if let since {
            guard let date = CallRecords.date(since: since) else {
                throw ValidationError("--since: '\(since)' is neither an ISO 8601 date or time nor an age such as 30m, 2h or 7d")
            }
            from = date
        }
        let calls: [EndedCall]
        do {
            calls = try CallRecords.read(location, since: from)
        } catch {
            throw ValidationError("--records: \(error)")
        }
        if json {
            for call in calls { print(call.json()) }
            return
        }
        print(["started", "seconds", "provider", "provider call", "agent", "graph", "end reason", "in", "out", "dropped",
               "up p50/p99 ms", "down p50/p99 ms", "barge-ins"].joined(separator: "\t"))
        for call in calls {
            print([
                call.startedAt, String(format: "%.1f", Double(call.durationMs) / 1000), call.provider, call.providerCallID,
                call.agent, call.graph, call.endReason, "\(call.framesIn)", "\(call.framesOut)", "\(call.framesDropped)",
                String(format: "%.2f/%.2f", call.uplinkP50Us / 1000, call.uplinkP99Us / 1000),
                String(format: "%.2f/%.2f", call.downlinkP50Us / 1000, call.downlinkP99Us / 1000), "\(call.bargeIns)",
            ].joined(separator: "\t"))
        }
        print("\(calls.count) call\(calls.count == 1 ? "" : "s")")
    }
}
