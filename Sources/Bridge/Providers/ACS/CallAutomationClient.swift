import Foundation

/// Answers an incoming Azure Communication Services call through the Call Automation REST API
/// (`POST {endpoint}/calling/callConnections:answer?api-version=2025-05-15`), HMAC-signed with the
/// resource's access key (``ACSRequestSigner``), asking for bidirectional media streaming to
/// voiced's `/acs` socket.
///
/// - Threading: any thread; async (control plane).
struct CallAutomationClient: Sendable {
    let connection: ACSConnectionString
    let fetcher: any HTTPFetching

    static let apiVersion = "2025-05-15"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Answers the call `incomingCallContext` names; media goes to `transportURL` in `audioFormat`,
    /// call events to `callbackURL`. Returns the call connection's id.
    func answer(incomingCallContext: String, callbackURL: String, transportURL: String, audioFormat: String) async throws -> String {
        let body: [String: Any] = [
            "incomingCallContext": incomingCallContext,
            "callbackUri": callbackURL,
            "mediaStreamingOptions": [
                "kind": "websocket", "transportUrl": transportURL, "transportType": "websocket", "contentType": "audio",
                "audioChannelType": "mixed", "startMediaStreaming": true, "enableBidirectional": true, "audioFormat": audioFormat,
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        let url = "\(connection.endpoint)/calling/callConnections:answer?api-version=\(Self.apiVersion)"
        guard let parsed = URL(string: url) else { throw Failure(description: "bad endpoint \(connection.endpoint)") }
        let headers = ACSRequestSigner.headers(method: "POST", url: parsed, body: data, key: connection.accessKey)
            + [("Content-Type", "application/json")]
        let (status, reply) = try await fetcher.post(url, headers: headers, body: data)
        guard (200..<300).contains(status) else {
            throw Failure(description: "Call Automation answered \(status): \(String(decoding: reply.prefix(300), as: UTF8.self))")
        }
        let json = (try? JSONSerialization.jsonObject(with: reply)) as? [String: Any]
        return json?["callConnectionId"] as? String ?? ""
    }
}
