import Foundation

/// One value of a call-record column, as the stores bind and read it.
enum RecordValue: Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A column of the call records: its name (the ``EndedCall`` JSON key) and what it holds, which a
/// store maps to its own SQL type (SQLite: TEXT / INTEGER / REAL; PostgreSQL: TEXT, BIGINT,
/// DOUBLE PRECISION, JSONB, TIMESTAMPTZ).
struct RecordColumn {
    enum Kind {
        case text, optionalText, integer, real
        /// JSON text (custom parameters, barge-in reactions).
        case json
        /// An ``EndedCall/timestamp(_:)``.
        case timestamp
    }

    let name: String
    let kind: Kind
}

/// The call as one row of the records, and back: the one place that knows which field goes in which
/// column, for every store.
extension EndedCall {
    static let recordColumns: [RecordColumn] = [
        .init(name: "server", kind: .text), .init(name: "call_id", kind: .integer), .init(name: "provider", kind: .text),
        .init(name: "provider_call_id", kind: .text), .init(name: "stream_id", kind: .text), .init(name: "agent", kind: .text),
        .init(name: "graph", kind: .text), .init(name: "from_number", kind: .optionalText), .init(name: "to_number", kind: .optionalText),
        .init(name: "custom_parameters", kind: .json), .init(name: "started_at", kind: .timestamp),
        .init(name: "ended_at", kind: .timestamp), .init(name: "duration_ms", kind: .integer), .init(name: "end_reason", kind: .text),
        .init(name: "end_detail", kind: .text), .init(name: "frames_in", kind: .integer), .init(name: "frames_out", kind: .integer),
        .init(name: "frames_dropped", kind: .integer), .init(name: "uplink_p50_us", kind: .real),
        .init(name: "uplink_p99_us", kind: .real), .init(name: "downlink_p50_us", kind: .real),
        .init(name: "downlink_p99_us", kind: .real), .init(name: "barge_ins", kind: .integer),
        .init(name: "barge_in_reaction_ms", kind: .json), .init(name: "recording", kind: .optionalText),
    ]

    /// The values of ``recordColumns``, in order. Text from the wire loses any NUL character
    /// (PostgreSQL's TEXT and JSONB take none): one caller's parameters cannot fail a batch.
    var recordRow: [RecordValue] {
        let parameters = (try? JSONEncoder().encode(Dictionary(
            customParameters.map { (Self.withoutNUL($0.key), Self.withoutNUL($0.value)) }, uniquingKeysWith: { first, _ in first })))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let reactions = "[" + bargeInReactionMs.map(String.init).joined(separator: ",") + "]"
        let row: [RecordValue] = [
            .text(server), .integer(Int64(callID)), .text(provider), .text(providerCallID), .text(streamID),
            .text(agent), .text(graph), from.map { .text($0) } ?? .null, to.map { .text($0) } ?? .null,
            .text(parameters), .text(startedAt), .text(endedAt), .integer(Int64(durationMs)), .text(endReason),
            .text(endDetail), .integer(Int64(framesIn)), .integer(Int64(framesOut)), .integer(Int64(framesDropped)),
            .real(uplinkP50Us), .real(uplinkP99Us), .real(downlinkP50Us), .real(downlinkP99Us),
            .integer(Int64(bargeIns)), .text(reactions), recording.map { .text($0) } ?? .null,
        ]
        return row.map(Self.withoutNUL)
    }

    private static func withoutNUL(_ value: RecordValue) -> RecordValue {
        guard case let .text(text) = value else { return value }
        return .text(withoutNUL(text))
    }

    private static func withoutNUL(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "") : text
    }

    /// A call from the values of ``recordColumns``; a missing or mistyped value reads as empty.
    init(recordRow row: [RecordValue]) {
        var index = 0
        func next() -> RecordValue {
            defer { index += 1 }
            return index < row.count ? row[index] : .null
        }
        func text() -> String { if case let .text(s) = next() { s } else { "" } }
        func optionalText() -> String? { if case let .text(s) = next() { s } else { nil } }
        func integer() -> Int64 { if case let .integer(n) = next() { n } else { 0 } }
        func real() -> Double {
            switch next() {
            case let .real(x): x
            case let .integer(n): Double(n)
            default: 0
            }
        }
        func decoded<T: Decodable>(_ type: T.Type, _ fallback: T) -> T {
            (try? JSONDecoder().decode(type, from: Data(text().utf8))) ?? fallback
        }
        self.init(
            server: text(), callID: UInt64(integer()), provider: text(), providerCallID: text(), streamID: text(), agent: text(),
            graph: text(), from: optionalText(), to: optionalText(), customParameters: decoded([String: String].self, [:]),
            startedAt: text(), endedAt: text(), durationMs: Int(integer()), endReason: text(), endDetail: text(),
            framesIn: UInt64(integer()), framesOut: UInt64(integer()), framesDropped: UInt64(integer()), uplinkP50Us: real(),
            uplinkP99Us: real(), downlinkP50Us: real(), downlinkP99Us: real(), bargeIns: Int(integer()),
            bargeInReactionMs: decoded([Int].self, []), recording: optionalText())
    }
}
