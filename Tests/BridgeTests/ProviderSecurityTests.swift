@testable import Bridge
import Crypto
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NIOWebSocket
import Testing
import VoicedTesting

/// Answer webhooks and request authentication on the daemon over loopback: answers are parsed (XML,
/// JSON), never string-compared; signed requests pass, unsigned, tampered, stale or misdirected ones
/// get 403, are counted, and never create a call.
@Suite struct ProviderSecurityTests {
    /// A server whose providers have secrets, and which does not trust unverified calls' parameters.
    static func server(_ configure: (inout ProviderSecurity) -> Void) async throws -> TestServer {
        try await TestServer {
            $0.security.trustCallParameters = false
            configure(&$0.security)
        }
    }

    static func base(_ server: TestServer) -> String { "http://127.0.0.1:\(server.port)" }
    static func form(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&").utf8)
    }
    static let formType = ("Content-Type", "application/x-www-form-urlencoded")

    @Test func twilioVoiceWebhookAnswersWithTwiMLOnlyWhenSigned() async throws {
        let server = try await Self.server { $0.twilioAuthToken = "12345" }
        let params = [("CallSid", "CA0001"), ("From", "+15551234567"), ("To", "+15557654321")]
        let path = "/twilio/voice?agent=demo&graph=standard"
        let signature = TwilioSignature.compute(url: Self.base(server) + path, parameters: params, token: "12345")
        let reply = try await RawSocket.request(port: server.port, method: "POST", path: path,
                                                headers: [Self.formType, ("X-Twilio-Signature", signature)], body: Self.form(params))
        #expect(reply.status == 200)
        let xml = try XMLTree(reply.body)
        let stream = try #require(xml.first("Stream"))
        #expect(xml.root.name == "Response" && xml.root.children.first?.name == "Connect")
        #expect(stream.attributes["url"] == "ws://127.0.0.1:\(server.port)/twilio")
        #expect(stream.attributes["statusCallback"] == Self.base(server) + "/twilio/status")
        let parameters = Dictionary(uniqueKeysWithValues: stream.children.map { ($0.attributes["name"]!, $0.attributes["value"]!) })
        #expect(parameters == ["agent": "demo", "graph": "standard", "from": "+15551234567", "to": "+15557654321"])

        // Unsigned, tampered, signed for another URL: 403, counted.
        let unsigned = try await RawSocket.request(port: server.port, method: "POST", path: path, headers: [Self.formType], body: Self.form(params))
        var tampered = params
        tampered[1].1 = "+15550000000"
        let forged = try await RawSocket.request(port: server.port, method: "POST", path: path,
                                                 headers: [Self.formType, ("X-Twilio-Signature", signature)], body: Self.form(tampered))
        let elsewhere = try await RawSocket.request(port: server.port, method: "POST", path: "/twilio/voice?agent=sales",
                                                    headers: [Self.formType, ("X-Twilio-Signature", signature)], body: Self.form(params))
        #expect([unsigned.status, forged.status, elsewhere.status] == [Int](repeating: 403, count: 3))
        #expect(server.server.stats.authRefusals["twilio"] == 3)

        // GET: the query is in the signed URL; the status callback is taken.
        let getPath = "/twilio/voice?CallSid=CA0002&From=%2B1555"
        let get = try await RawSocket.request(port: server.port, path: getPath, headers: [
            ("X-Twilio-Signature", TwilioSignature.compute(url: Self.base(server) + getPath, parameters: [], token: "12345")),
        ])
        #expect(get.status == 200)
        #expect(try XMLTree(get.body).first("Parameter")?.attributes["value"] == "CA0002")
        let status = [("StreamSid", "MZ1"), ("StreamEvent", "stream-started")]
        let callback = try await RawSocket.request(port: server.port, method: "POST", path: "/twilio/status", headers: [
            Self.formType, ("X-Twilio-Signature", TwilioSignature.compute(url: Self.base(server) + "/twilio/status", parameters: status, token: "12345")),
        ], body: Self.form(status))
        #expect(callback.status == 204)
        try await server.stop()
    }

    /// The media upgrade is signed over its `wss://` (here `ws://`) URL. A verified call may pick
    /// its agent; an unsigned upgrade gets 403 and no call exists.
    @Test func twilioMediaUpgradeIsVerified() async throws {
        let server = try await Self.server { $0.twilioAuthToken = "12345" }
        let signature = TwilioSignature.compute(url: "ws://127.0.0.1:\(server.port)/twilio", parameters: [], token: "12345")
        let call = try await server.call(headers: [("X-Twilio-Signature", signature)])
        call.sendConnectedAndStart(parameters: ["agent": "demo"])
        let greeting = try await call.wait(timeout: .seconds(20)) { $0.audio.count > 8000 }
        #expect(greeting.audio.count > 8000, "the verified call talks to the demo agent it asked for (the server's default is echo)")
        await call.client.close()

        await #expect(throws: (any Error).self) { try await server.call() }
        let refused = try await RawSocket.request(port: server.port, path: "/twilio", headers: [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"), ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ])
        #expect(refused.status == 403)
        #expect(server.server.stats.authRefusals["twilio"] == 2)
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == 1)
        try await server.stop()
    }

    /// Without a secret for its provider a call is served, but its `agent` and `graph` parameters
    /// are ignored: it talks to the server's default agent (echo here).
    @Test func unverifiedCallsCannotChooseTheirAgent() async throws {
        let server = try await Self.server { _ in }
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["agent": "demo"])
        let speech = Array(try TestSpeech.frames().prefix(50))
        try await call.sendAudio(speech, intervalMs: 5)
        let got = try await call.wait { $0.audio.count >= 50 * 160 }
        #expect(got.audio == TestSpeech.echoed(speech), "the echo agent answered, not the demo")
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    @Test func exotelNeedsItsBasicCredentials() async throws {
        let server = try await Self.server { $0.exotelCredentials = "KEY:TOKEN" }
        let wire = ExotelWire()
        let good = "Basic " + Data("KEY:TOKEN".utf8).base64EncodedString()
        let call = try await server.call(wire, headers: [("Authorization", good)])
        call.open()
        let speech = Array(try TestSpeech.frames(for: wire).prefix(20))
        try await call.sendAudio(speech, intervalMs: 0)
        #expect(wire.isEcho(try await call.wait { wire.isEcho($0.audio, of: speech) }.audio, of: speech))
        await call.client.close()
        let bad = "Basic " + Data("KEY:WRONG".utf8).base64EncodedString()
        await #expect(throws: (any Error).self) { try await server.call(wire, headers: [("Authorization", bad)]) }
        await #expect(throws: (any Error).self) { try await server.call(wire) }
        #expect(server.server.stats.authRefusals["exotel"] == 2)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }

    /// Exotel's other way in: an address on the allow-list needs no credentials; others do.
    @Test func exotelAllowListedAddressesNeedNoCredentials() async throws {
        let allowed = try await Self.server { $0.exotelAllowedAddresses = ["127.0.0.1"] }
        let call = try await allowed.call(ExotelWire())
        call.open()
        await call.client.close()
        try await allowed.stop()
        let elsewhere = try await Self.server { $0.exotelAllowedAddresses = ["203.0.113.7"] }
        await #expect(throws: (any Error).self) { try await elsewhere.call(ExotelWire()) }
        #expect(elsewhere.server.stats.authRefusals["exotel"] == 1)
        try await elsewhere.stop()
    }

    @Test func telnyxWebhooksAreEd25519SignedAndItsMediaCarriesAToken() async throws {
        let key = Curve25519.Signing.PrivateKey()
        let server = try await Self.server {
            $0.telnyxPublicKey = key.publicKey.rawRepresentation.base64EncodedString()
            $0.mediaTokens["telnyx"] = "t0ken"
        }
        func signed(_ body: [UInt8], at time: Date = Date()) throws -> [(String, String)] {
            let timestamp = String(Int(time.timeIntervalSince1970))
            let signature = try key.signature(for: Data(timestamp.utf8) + Data("|".utf8) + Data(body))
            return [Self.formType, ("telnyx-timestamp", timestamp), ("telnyx-signature-ed25519", signature.base64EncodedString())]
        }
        let body = Self.form([("CallSid", "v3:call"), ("From", "+13125550100"), ("To", "+13125550101")])
        let reply = try await RawSocket.request(port: server.port, method: "POST", path: "/telnyx/texml?agent=demo", headers: try signed(body), body: body)
        #expect(reply.status == 200)
        let stream = try #require(try XMLTree(reply.body).first("Stream"))
        #expect(stream.attributes["url"] == "ws://127.0.0.1:\(server.port)/telnyx")
        #expect(stream.attributes["bidirectionalMode"] == "rtp")
        #expect(stream.children.contains { $0.attributes["name"] == "agent" && $0.attributes["value"] == "demo" })
        let tampered = try await RawSocket.request(port: server.port, method: "POST", path: "/telnyx/texml", headers: try signed(body),
                                                   body: body + Array("&x=1".utf8))
        let stale = try await RawSocket.request(port: server.port, method: "POST", path: "/telnyx/texml",
                                                headers: try signed(body, at: Date().addingTimeInterval(-600)), body: body)
        #expect([tampered.status, stale.status] == [Int](repeating: 403, count: 2))

        let call = try await server.call(TelnyxWire(), suffix: "/t0ken")
        call.open()
        try await call.sendAudio(Array(try TestSpeech.frames().prefix(10)), intervalMs: 0)
        #expect(try await call.wait { $0.audio.count >= 1600 }.audio.count == 1600)
        await call.client.close()
        await #expect(throws: (any Error).self) { try await server.call(TelnyxWire(), suffix: "/wrong") }
        #expect(server.server.stats.authRefusals["telnyx"] == 3)
        try await server.stop()
    }

    @Test func plivoAnswerIsV3Signed() async throws {
        let server = try await Self.server { $0.plivoAuthToken = "plivo-token" }
        let params = [("CallUUID", "c-1"), ("From", "14155550100"), ("To", "14155550101")]
        let path = "/plivo/answer?agent=demo"
        let signature = PlivoSignature.compute(method: "POST", url: Self.base(server) + path, nonce: "12345", parameters: params, token: "plivo-token")!
        let reply = try await RawSocket.request(port: server.port, method: "POST", path: path, headers: [
            Self.formType, ("X-Plivo-Signature-V3", signature), ("X-Plivo-Signature-V3-Nonce", "12345"),
        ], body: Self.form(params))
        #expect(reply.status == 200)
        let stream = try #require(try XMLTree(reply.body).first("Stream"))
        #expect(stream.text == "ws://127.0.0.1:\(server.port)/plivo")
        #expect(stream.attributes["bidirectional"] == "true")
        #expect(stream.attributes["extraHeaders"] == "agent=demo,from=14155550100,to=14155550101")
        let otherNonce = try await RawSocket.request(port: server.port, method: "POST", path: path, headers: [
            Self.formType, ("X-Plivo-Signature-V3", signature), ("X-Plivo-Signature-V3-Nonce", "99999"),
        ], body: Self.form(params))
        #expect(otherNonce.status == 403)
        try await server.stop()
    }

    @Test func vonageAnswerEventAndMediaCarryItsJWT() async throws {
        let server = try await Self.server { $0.vonageSignatureSecret = "vonage-secret" }
        func bearer(_ body: [UInt8] = [], issued: Date = Date()) -> (String, String) {
            ("Authorization", "Bearer " + ProviderSignatureTests.vonageToken(secret: "vonage-secret", issued: issued, body: body))
        }
        let answer = try await RawSocket.request(port: server.port, path: "/vonage/answer?uuid=u-1&from=447700900001&to=447700900002&agent=demo",
                                                 headers: [bearer()])
        #expect(answer.status == 200)
        let ncco = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [[String: Any]])
        let endpoint = try #require((ncco.first?["endpoint"] as? [[String: Any]])?.first)
        #expect(ncco.first?["action"] as? String == "connect")
        #expect(endpoint["type"] as? String == "websocket")
        #expect(endpoint["uri"] as? String == "ws://127.0.0.1:\(server.port)/vonage")
        #expect(endpoint["content-type"] as? String == "audio/l16;rate=16000")
        #expect((endpoint["authorization"] as? [String: String])?["type"] == "vonage")
        #expect(endpoint["headers"] as? [String: String] == ["uuid": "u-1", "from": "447700900001", "to": "447700900002", "agent": "demo"])

        let event = Array(#"{"status":"answered","uuid":"u-1"}"#.utf8)
        let accepted = try await RawSocket.request(port: server.port, method: "POST", path: "/vonage/event",
                                                   headers: [("Content-Type", "application/json"), bearer(event)], body: event)
        let tampered = try await RawSocket.request(port: server.port, method: "POST", path: "/vonage/event",
                                                   headers: [("Content-Type", "application/json"), bearer(event)],
                                                   body: Array(#"{"status":"failed","uuid":"u-1"}"#.utf8))
        let replayed = try await RawSocket.request(port: server.port, path: "/vonage/answer?uuid=u-1",
                                                   headers: [bearer(issued: Date().addingTimeInterval(-3600))])
        #expect([accepted.status, tampered.status, replayed.status] == [Int]([204, 403, 403]))

        // The media socket: the NCCO's headers arrive in websocket:connected; the uuid is the call id.
        let call = try await server.call(VonageWire(), headers: [bearer()])
        call.open(parameters: ["uuid": "u-1", "agent": "demo"])
        let greeting = try await call.wait(timeout: .seconds(20)) { $0.audio.count > 32000 }
        #expect(greeting.audio.count > 32000, "a verified Vonage call talks to the agent its NCCO named")
        #expect(server.server.registry.snapshot.first?.call.callID == "u-1")
        await call.client.close()
        await #expect(throws: (any Error).self) { try await server.call(VonageWire()) }
        #expect(server.server.stats.authRefusals["vonage"] == 3)
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}

/// A parsed XML document (Foundation's XMLParser): elements with attributes, text and children.
struct XMLTree {
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""
        init(name: String, attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }
    }

    struct Malformed: Error {}

    let root: Element

    init(_ bytes: [UInt8]) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        guard parser.parse(), let root = collector.root else { throw Malformed() }
        self.root = root
    }

    /// The first element named `name`, depth first.
    func first(_ name: String) -> Element? {
        func search(_ element: Element) -> Element? {
            if element.name == name { return element }
            for child in element.children { if let found = search(child) { return found } }
            return nil
        }
        return search(root)
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var root: Element?
        var stack: [Element] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let element = Element(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
