import Bridge
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import VoicedTesting

/// `--log-format json`: every line one JSON object a log shipper can parse, with the call's ids as
/// keys on every line of the call.
@Suite struct JSONLogHandlerTests {
    static func capture() -> (Logger, NIOLockedValueBox<[String]>) {
        let lines = NIOLockedValueBox<[String]>([])
        var logger = Logger(label: "voiced") { label in JSONLogHandler(label: label) { line in lines.withLockedValue { $0.append(line) } } }
        logger.logLevel = .info
        return (logger, lines)
    }

    static func objects(_ lines: NIOLockedValueBox<[String]>) throws -> [[String: Any]] {
        try lines.withLockedValue { $0 }.map { line in
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line per event")
            return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func aLineIsOneJSONObjectWithItsMetadataBesideTheFixedKeys() throws {
        let (logger, lines) = Self.capture()
        logger.warning("odd \"quote\"\nand a newline", metadata: [
            "call.id": "17", "msg": "collides", "nested": ["a": "1", "b": ["x", "y"]],
        ])
        let object = try #require(try Self.objects(lines).first)
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "voiced")
        #expect(object["msg"] as? String == "odd \"quote\"\nand a newline")
        #expect(object["call.id"] as? String == "17")
        #expect(object["meta.msg"] as? String == "collides")
        #expect((object["nested"] as? [String: Any])?["b"] as? [String] == ["x", "y"])
        let ts = try #require(object["ts"] as? String)
        #expect(try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#).wholeMatch(in: ts) != nil, "ISO 8601 UTC: \(ts)")
    }

    @Test func everyLineOfACallCarriesItsIds() async throws {
        let (logger, lines) = Self.capture()
        let server = try await TestServer(logger: logger)
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio([[UInt8](repeating: 0xFF, count: 160)])
        _ = try await call.wait { $0.audio.count >= 160 }
        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()

        let objects = try Self.objects(lines)
        let ofTheCall = objects.filter { ($0["msg"] as? String).map { $0.hasPrefix("call ") } == true }
        #expect(Set(ofTheCall.compactMap { $0["msg"] as? String }.map { String($0.prefix(12)) })
            == ["call registe", "call started", "call ended", "call unregis"])
        for line in ofTheCall {
            #expect(line["call.id"] as? String == "1")
            #expect(line["provider"] as? String == "twilio")
            #expect(line["provider.call_id"] as? String == call.messages.callSid)
            #expect(line["provider.stream_id"] as? String == call.messages.streamSid)
        }
        #expect(ofTheCall.first { $0["msg"] as? String == "call ended" }?["reason"] as? String == "provider_stop")
    }
}
