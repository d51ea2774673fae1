import Bridge
import MediaGraph
import Testing
import VoicedTesting

/// `/metrics` on a live daemon, read with Prometheus' own text parser: a running call's frames and
/// per-node times show while it runs, and are neither lost nor counted twice when it ends.
@Suite struct MetricsTests {
    @Test func aRunningCallShowsLiveAndItsCountsSurviveItsEnd() async throws {
        // Standard's nodes (apm, vad, barge-in…) each report their time.
        let server = try await TestServer { $0.graph = .standard }
        let call = try await server.call()
        call.sendConnectedAndStart()
        let frames = 100
        try await call.sendAudio(Array(try TestSpeech.frames().prefix(frames)))
        _ = try await call.wait { $0.audio.count >= frames * 160 }

        let during = try await PrometheusScrape(port: server.port)
        #expect(during.types["voiced_frame_latency_seconds"] == "histogram")
        #expect(during.types["voiced_calls_ended"] == "counter", "the parser names a counter family without _total")
        #expect(during.value("voiced_calls_active", ["provider": "twilio", "state": "active"]) == 1)
        #expect(during.value("voiced_calls_started_total", ["provider": "twilio"]) == 1)
        #expect(during.value("voiced_frame_latency_seconds_count", ["direction": "uplink"]) == Double(frames),
                "every uplink frame of the running call is counted before it ends")
        #expect(during.value("voiced_frame_latency_seconds_count", ["direction": "downlink"]) == Double(frames))
        let nodes = during.all("voiced_node_processing_seconds_count").filter { $0.labels["direction"] == "uplink" }
        #expect(!nodes.isEmpty && nodes.allSatisfy { $0.value == Double(frames) }, "per-node times are live: \(nodes)")
        #expect(during.value("voiced_frames_total", ["direction": "uplink"]) == Double(frames))
        #expect(during.value("voiced_ready") == 1)
        #expect((during.value("voiced_media_thread_wakeups_total", ["thread": "0"]) ?? 0)
            + (during.value("voiced_media_thread_wakeups_total", ["thread": "1"]) ?? 0) > 0)
        #expect((during.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        // Each histogram is whole: its +Inf bucket is its count.
        for count in during.all("voiced_node_processing_seconds_count") {
            #expect(during.value("voiced_node_processing_seconds_bucket", count.labels.merging(["le": "+Inf"]) { $1 }) == count.value)
        }

        call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        let after = try await PrometheusScrape(port: server.port)
        #expect(after.value("voiced_calls_active") == nil, "no call, no active sample")
        #expect(after.value("voiced_calls_ended_total", ["provider": "twilio", "reason": "provider_stop"]) == 1)
        #expect(after.value("voiced_frame_latency_seconds_count", ["direction": "uplink"]) == Double(frames),
                "the ended call's frames move into the totals once")
        for node in nodes {
            #expect(after.value("voiced_node_processing_seconds_count", node.labels) == Double(frames))
        }
        try await server.stop()
    }
}
