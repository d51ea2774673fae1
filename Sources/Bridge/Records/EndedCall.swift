import Foundation

/// The record of one ended call: who it was, what it ran, how and why it ended, and how it went —
/// one row in the call records (``CallRecordStore``), one object of `voiced calls --json`, and the
/// body of the `call.ended` webhook.
///
/// - Threading: a value.
public struct EndedCall: Codable, Sendable, Equatable {
    /// The voiced instance that ran the call (`host:pid`): call ids restart with each run, and a
    /// fleet may share one database.
    public var server: String
    public var callID: UInt64
    public var provider: String
    public var providerCallID: String
    public var streamID: String
    public var agent: String
    public var graph: String
    public var from: String?
    public var to: String?
    public var customParameters: [String: String]
    /// UTC, ISO 8601 with milliseconds (`2026-11-28T01:44:25.123Z`): sorts as text.
    public var startedAt: String
    public var endedAt: String
    public var durationMs: Int
    /// A ``CallEndReason`` raw value, and what happened in words.
    public var endReason: String
    public var endDetail: String
    public var framesIn: UInt64
    public var framesOut: UInt64
    public var framesDropped: UInt64
    public var uplinkP50Us: Double
    public var uplinkP99Us: Double
    public var downlinkP50Us: Double
    public var downlinkP99Us: Double
    public var bargeIns: Int
    /// Each barge-in's reaction: uplink media ms from the caller's first word to the provider
    /// cleared.
    public var bargeInReactionMs: [Int]
    /// The call's recording, when it was recorded.
    public var recording: String?

    enum CodingKeys: String, CodingKey {
        case server, callID = "call_id", provider, providerCallID = "provider_call_id", streamID = "stream_id", agent, graph
        case from, to, customParameters = "custom_parameters", startedAt = "started_at", endedAt = "ended_at"
        case durationMs = "duration_ms", endReason = "end_reason", endDetail = "end_detail", framesIn = "frames_in"
        case framesOut = "frames_out", framesDropped = "frames_dropped", uplinkP50Us = "uplink_p50_us", uplinkP99Us = "uplink_p99_us"
        case downlinkP50Us = "downlink_p50_us", downlinkP99Us = "downlink_p99_us", bargeIns = "barge_ins"
        case bargeInReactionMs = "barge_in_reaction_ms", recording
    }

    /// `date` as the records write it.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().timeZone(separator: .omitted).time(includingFractionalSeconds: true)
            .timeSeparator(.colon).dateSeparator(.dash).dateTimeSeparator(.standard))
    }

    /// JSON with snake_case keys (`call_id`, `end_reason`, as the records' columns), as `voiced
    /// calls --json` and the webhooks write it.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
