import Bridge
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// `/dashboard` in a real browser (headless Chromium): the page loads, follows the event stream and
/// shows the call the test places, with its nodes' costs; a screenshot is left in
/// .build/dashboard.png for a person to look at.
@Suite struct DashboardTests {
    @Test func thePageShowsALiveCall() async throws {
        let server = try await TestServer { $0.graph = .standard }
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["tenant": "acme"])
        let speech = try TestSpeech.frames()
        // The caller keeps talking while the browser looks.
        let talking = Task { try await call.sendAudio(Array(speech.prefix(500)), intervalMs: 20) }
        _ = try await call.wait { $0.audio.count >= 50 * 160 }

        // The stream itself: a `data:` line holding the snapshot as JSON.
        let socket = try await RawSocket.connect(port: server.port)
        socket.send(Array("GET /dashboard/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let event = try await socket.wait { received -> String? in
            let text = String(decoding: received.bytes, as: UTF8.self)
            guard let start = text.range(of: "data: "), let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex) else { return nil }
            return String(text[start.upperBound..<end.lowerBound])
        }
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
        #expect(snapshot["active_calls"] as? Int == 1)
        #expect((snapshot["calls"] as? [[String: Any]])?.first?["provider_call_id"] as? String == call.messages.callSid)

        let browser = try await HeadlessChromium(url: "http://127.0.0.1:\(server.port)/dashboard")
        // What a person sees once the page has followed the stream: the call's row, its ids, the
        // node bars and the ready badge.
        try await browser.wait(until: #"document.querySelector('tr[data-call-id="1"]')"#)
        #expect(try await browser.evaluate(#"document.querySelector('tr[data-call-id="1"]').textContent"#).contains(call.messages.callSid))
        #expect(try await browser.evaluate("document.getElementById('status').textContent") == "ready")
        #expect(try await browser.evaluate("document.getElementById('active').textContent") == "1")
        try await browser.wait(until: "document.getElementById('nodes').textContent.includes('uplink · apm')")
        // It keeps updating: the frames column grows while the caller talks.
        let frames = { try await Int(browser.evaluate(#"document.querySelector('tr[data-call-id="1"]').children[7].textContent"#)) ?? 0 }
        let before = try await frames()
        try await browser.wait(until: #"Number(document.querySelector('tr[data-call-id="1"]').children[7].textContent) > \#(before)"#)
        let png = try await browser.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a real screenshot (\(png.count) bytes)")
        try png.write(to: TestSpeech.repositoryRoot.appendingPathComponent(".build/dashboard.png"))
        await browser.stop()

        talking.cancel()
        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}
