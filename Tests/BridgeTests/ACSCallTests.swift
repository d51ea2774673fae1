@testable import Bridge
import Foundation
import Testing
import VoicedTesting

/// Azure Communication Services end to end on loopback, against ``FakeACS``: Event Grid's
/// validation handshake, an incoming call answered through Call Automation (HMAC-signed, checked
/// by the fake), and the media socket ACS then opens with its JWT; refusals for every bad token.
@Suite struct ACSCallTests {
    static func server(_ acs: FakeACS) async throws -> TestServer {
        try await TestServer {
            $0.security.trustCallParameters = false
            $0.security.acsConnectionString = ACSConnectionString(acs.connectionString)
            $0.security.acsAudience = FakeACS.resourceID
            $0.security.acsOpenIDMetadataURL = acs.acsMetadataURL
            $0.security.eventGridAudience = FakeACS.eventGridAudience
            $0.security.eventGridOpenIDMetadataURL = acs.entraMetadataURL
            $0.security.eventGridIssuer = acs.entraIssuer
        }
    }

    static func post(_ server: TestServer, _ path: String, token: String?, _ json: String) async throws -> RawSocket.Response {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        return try await RawSocket.request(port: server.port, method: "POST", path: path, headers: headers, body: Array(json.utf8))
    }

    static let validation = #"[{"id":"2d1781af","topic":"/subscriptions/x","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net:553/validate"},"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2018-01-25T22:12:19.4556811Z","metadataVersion":"1","dataVersion":"1"}]"#

    @Test func eventGridValidationNeedsItsToken() async throws {
        let acs = try await FakeACS()
        let server = try await Self.server(acs)
        let reply = try await Self.post(server, "/acs/events", token: try acs.eventGridToken(), Self.validation)
        #expect(reply.status == 200)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: String])
        #expect(answer == ["validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"])
        let refusals = [
            try await Self.post(server, "/acs/events", token: nil, Self.validation),
            try await Self.post(server, "/acs/events", token: try acs.eventGridToken(audience: "api://someone-else"), Self.validation),
            try await Self.post(server, "/acs/events", token: try acs.eventGridToken(lifetime: -600), Self.validation),
            try await Self.post(server, "/acs/events", token: try acs.acsToken(), Self.validation),
        ]
        #expect(refusals.map(\.status) == [Int](repeating: 403, count: 4), "no token, another audience, expired, another issuer's key")
        #expect(server.server.stats.authRefusals["acs"] == 4)
        try await server.stop()
        try await acs.stop()
    }

    /// IncomingCall → answered through Call Automation (the fake checks the HMAC signature and the
    /// body) → ACS opens the media socket with its JWT → the call reaches the agent the events URL
    /// named, with the caller and callee.
    @Test func incomingCallIsAnsweredAndItsMediaVerified() async throws {
        let acs = try await FakeACS()
        let server = try await Self.server(acs)
        let incoming = #"[{"id":"e1","topic":"/subscriptions/x/providers/Microsoft.Communication/communicationServices/voiced","subject":"/caller/4:+14255550100/recipient/4:+14255550101","data":{"to":{"kind":"phoneNumber","rawId":"4:+14255550101","phoneNumber":{"value":"+14255550101"}},"from":{"kind":"phoneNumber","rawId":"4:+14255550100","phoneNumber":{"value":"+14255550100"}},"serverCallId":"server-call-1","callerDisplayName":"","incomingCallContext":"H4sIAAAAAAAEAMVU","correlationId":"corr-1"},"eventType":"Microsoft.Communication.IncomingCall","dataVersion":"1.0","metadataVersion":"1","eventTime":"2026-11-27T17:18:42.5542219Z"}]"#
        let reply = try await Self.post(server, "/acs/events?agent=demo", token: try acs.eventGridToken(), incoming)
        #expect(reply.status == 200)
        try await until(timeout: .seconds(10)) { !acs.answered.isEmpty || !acs.refused.isEmpty }
        #expect(acs.refused.isEmpty, "\(acs.refused)")
        let answer = try #require(acs.answered.first)
        #expect(answer.incomingCallContext == "H4sIAAAAAAAEAMVU")
        #expect(answer.callbackURI == "http://127.0.0.1:\(server.port)/acs/callbacks")
        #expect(answer.bidirectional && answer.audioFormat == "pcm16KMono")
        let transport = try #require(URLComponents(string: answer.transportURL))
        #expect(transport.scheme == "ws" && transport.path == "/acs")
        let query = Dictionary(uniqueKeysWithValues: (transport.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query == ["agent": "demo", "from": "4:+14255550100", "to": "4:+14255550101"])

        // ACS connects to that URL with its JWT and the call's ids in its headers.
        let call = try await server.call(ACSWire(), suffix: "?" + (transport.percentEncodedQuery ?? ""), headers: [
            ("Authorization", "Bearer " + (try acs.acsToken())), ("x-ms-call-connection-id", "call-connection-16"),
            ("x-ms-call-correlation-id", "corr-1"),
        ])
        call.open()
        let greeting = try await call.wait(timeout: .seconds(20)) { $0.audio.count > 32000 }
        #expect(greeting.audio.count > 32000, "the verified call reached the demo agent its events URL named")
        let record = try #require(server.server.registry.snapshot.first)
        #expect(record.call.callID == "call-connection-16")
        #expect(record.call.customParameters["from"] == "4:+14255550100" && record.call.customParameters["correlation_id"] == "corr-1")
        await call.client.close()

        let callback = try await Self.post(server, "/acs/callbacks", token: try acs.acsToken(),
                                           #"[{"type":"Microsoft.Communication.CallConnected","data":{"callConnectionId":"call-connection-16"}}]"#)
        #expect(callback.status == 200)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        try await acs.stop()
    }

    @Test func mediaSocketsWithoutACSsTokenAreRefused() async throws {
        let acs = try await FakeACS()
        let server = try await Self.server(acs)
        for token in [nil, try acs.forgedToken(), try acs.acsToken(lifetime: -600), try acs.acsToken(audience: "another-resource"),
                      try acs.eventGridToken()] as [String?] {
            await #expect(throws: (any Error).self) {
                try await server.call(ACSWire(), headers: token.map { [("Authorization", "Bearer " + $0)] } ?? [])
            }
        }
        let callback = try await Self.post(server, "/acs/callbacks", token: nil, "[]")
        #expect(callback.status == 403)
        #expect(server.server.stats.authRefusals["acs"] == 6)
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == 0)
        try await server.stop()
        try await acs.stop()
    }
}
