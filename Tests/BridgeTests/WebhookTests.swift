import Bridge
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Testing
import VoicedTesting

/// Call-event webhooks against a real HTTP receiver on loopback: signed, retried with back-off on
/// 5xx, given up when the receiver stays down — and the call never waits on any of it.
@Suite struct WebhookTests {
    static let secret = "whsec-test-key"

    /// Checks `Voiced-Signature` as a receiver would: HMAC-SHA256(secret, "t.body").
    static func verify(_ request: LoopbackHTTPServer.Request) -> Bool {
        guard let header = request.header("Voiced-Signature") else { return false }
        let parts = Dictionary(uniqueKeysWithValues: header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        })
        guard let t = parts["t"], let v1 = parts["v1"], let time = Double(t), abs(Date().timeIntervalSince1970 - time) < 300 else { return false }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(t.utf8) + Data(".".utf8) + Data(request.body), using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined() == v1
    }

    @Test func eventsAreSignedAndRetriedUntilDelivered() async throws {
        let received = NIOLockedValueBox<[LoopbackHTTPServer.Request]>([])
        // The receiver fails every event's first delivery with 503.
        let receiver = try await LoopbackHTTPServer { request in
            let attempts = received.withLockedValue { all in
                all.append(request)
                return all.filter { $0.header("Voiced-Delivery") == request.header("Voiced-Delivery") }.count
            }
            return (attempts == 1 ? 503 : 200, "text/plain", [])
        }
        var settings = WebhookSettings(url: receiver.baseURL + "/hooks", secret: Self.secret)
        settings.firstRetry = .milliseconds(50)
        let server = try await TestServer { $0.webhooks = settings }
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["tenant": "acme"])
        try await call.sendAudio(Array(try TestSpeech.frames().prefix(20)))
        _ = try await call.wait { $0.audio.count >= 20 * 160 }
        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        let webhooks = try #require(server.server.webhooks)
        try await until { webhooks.delivered.load(ordering: .relaxed) == 2 }
        #expect(webhooks.retries.load(ordering: .relaxed) == 2 && webhooks.failed.load(ordering: .relaxed) == 0)

        let requests = received.withLockedValue { $0 }
        #expect(requests.count == 4, "each event twice: refused once, then delivered")
        #expect(requests.allSatisfy { $0.method == "POST" && $0.uri == "/hooks" && Self.verify($0) })
        #expect(requests.allSatisfy { $0.header("Content-Type") == "application/json" })
        let bodies = try requests.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) }
        #expect(Set(bodies.compactMap { $0["type"] as? String }) == ["call.started", "call.ended"])
        let ended = try #require(bodies.last { $0["type"] as? String == "call.ended" })
        let data = try #require(ended["data"] as? [String: Any])
        #expect(data["end_reason"] as? String == "provider_stop")
        #expect(data["provider_call_id"] as? String == call.messages.callSid)
        #expect(data["frames_in"] as? Int == 20)
        #expect((data["custom_parameters"] as? [String: String])?["tenant"] == "acme")
        #expect(requests.first { $0.header("Voiced-Event") == "call.ended" }?.header("Voiced-Delivery") == ended["id"] as? String)
        var tampered = requests[0]
        tampered.body += Array(" ".utf8)
        #expect(!Self.verify(tampered), "a changed body fails the signature")
        try await server.stop()
        try await receiver.stop()
    }

    @Test func aReceiverThatStaysDownCostsTheCallNothing() async throws {
        // Refused at once (nothing listens), and a 4xx that is not retried.
        let gone = try await LoopbackHTTPServer { _ in (400, "text/plain", []) }
        for url in ["http://127.0.0.1:9/hooks", gone.baseURL] {
            var settings = WebhookSettings(url: url, secret: Self.secret)
            settings.firstRetry = .milliseconds(10)
            settings.maxAttempts = 3
            let server = try await TestServer { $0.webhooks = settings }
            let call = try await server.call()
            call.sendConnectedAndStart()
            let speech = Array(try TestSpeech.frames().prefix(100))
            try await call.sendAudio(speech)
            let heard = try await call.wait { $0.audio.count >= 100 * 160 }
            #expect(heard.audio == TestSpeech.echoed(speech))
            call.sendStop()
            await call.client.close()
            #expect(try await server.waitUntilIdle())
            let webhooks = try #require(server.server.webhooks)
            try await until { webhooks.failed.load(ordering: .relaxed) == 2 }
            #expect(webhooks.delivered.load(ordering: .relaxed) == 0)
            #expect(webhooks.retries.load(ordering: .relaxed) == (url == gone.baseURL ? 0 : 4), "5xx and network errors are retried, 4xx are not")
            try await server.stop()
        }
        try await gone.stop()
    }
}
