import Foundation

/// What a call-event webhook carries: `call.started` with who the call is, or `call.ended` with
/// its whole record (``EndedCall``).
///
/// ```json
/// {"id":"6f1c…","type":"call.ended","created_at":"2026-11-28T01:44:25.123Z","data":{"call_id":17,…}}
/// ```
///
/// - Threading: a value.
struct CallEvent: Sendable {
    /// Unique per event; the same on every retry of it (receivers drop duplicates by it).
    let id: String
    let type: String
    /// The whole JSON body, made once.
    let body: String

    /// `call.started`: the call's ids, provider, agent, graph, numbers, custom parameters and start.
    static func started(_ record: CallRecord, agent: String, graph: String, server: String) -> CallEvent {
        let data = Started(server: server, callID: record.callID, provider: record.call.provider, providerCallID: record.call.callID,
                           streamID: record.call.streamID, agent: agent, graph: graph, from: record.call.from, to: record.call.to,
                           customParameters: record.call.customParameters, startedAt: EndedCall.timestamp(record.startedAt))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return make("call.started", data: json)
    }

    /// `call.ended`: the call's record, as the records keep it.
    static func ended(_ call: EndedCall) -> CallEvent { make("call.ended", data: call.json()) }

    private static func make(_ type: String, data: String) -> CallEvent {
        let id = UUID().uuidString.lowercased()
        let body = #"{"id":"\#(id)","type":"\#(type)","created_at":"\#(EndedCall.timestamp(Date()))","data":\#(data)}"#
        return CallEvent(id: id, type: type, body: body)
    }

    private struct Started: Encodable {
        var server: String
        var callID: UInt64
        var provider: String
        var providerCallID: String
        var streamID: String
        var agent: String
        var graph: String
        var from: String?
        var to: String?
        var customParameters: [String: String]
        var startedAt: String

        enum CodingKeys: String, CodingKey {
            case server, callID = "call_id", provider, providerCallID = "provider_call_id", streamID = "stream_id", agent, graph
            case from, to, customParameters = "custom_parameters", startedAt = "started_at"
        }
    }
}
