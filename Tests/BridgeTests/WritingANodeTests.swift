import Bridge
import ExampleNodes
import Foundation
import MediaGraph
import NodeTestKit
import Testing
import VoicedTesting

/// docs/writing-a-node.md's steps, run: a node written in one file outside voiced's modules (the
/// example DTMF detector, Examples/Nodes) is named in a spec, runs offline with `voiced process`,
/// and runs in a live loopback call whose graph the configuration file names per agent profile;
/// the events it posts reach the call's session (counted in /stats) and the offline JSON Lines.
@Suite struct WritingANodeTests {
    static let keys = ["1", "5", "9", "#"]

    /// Key presses made by sox, 80 ms each with 120 ms between, as μ-law 8 kHz (a phone line).
    static func presses() throws -> [UInt8] {
        var samples: [Int16] = []
        let pad = ["1": (697, 1209), "5": (770, 1336), "9": (852, 1477), "#": (941, 1477)]
        for key in keys {
            samples += TestSignal.silence(960)
            samples += try TestSignal.sox(["synth", "0.08", "sine", "\(pad[key]!.0)", "sine", "\(pad[key]!.1)", "remix", "-", "gain", "-n", "-10"])
        }
        return TestSignal.muLaw(samples + TestSignal.silence(960))
    }

    @Test func theNodeRunsOfflineByName() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-keys-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try WAVFile.write(path: file, formatTag: 7, sampleRateHz: 8000, data: try Self.presses())
        let result = try VoicedBinary.run(["process", "--input", file, "--graph", "dtmf; ", "--jsonl", "-"])
        #expect(result.status == 0, "\(result.errors)")
        let events = try OfflineCorpusTests.lines(result.output).filter { $0["type"] as? String == "node_event" }
        #expect(events.map { $0["name"] as? String } == Array(repeating: "dtmf", count: Self.keys.count))
        #expect(events.map { $0["detail"] as? String } == Self.keys)
        // Each stamped at its press: 120 ms of silence, then 80 ms of tones, per key.
        #expect(events.map { $0["media_ms"] as? Int } == [120, 320, 520, 720])
    }

    @Test func theNodeRunsInALiveCallAndItsEventsReachTheSession() async throws {
        let file = try ConfigFile(toml: """
            default_agent = "keypad"

            [graphs]
            keys = "dtmf, vad; "

            [agents.keypad]
            connector = "echo"
            graph = "keys"
            """, environment: [:])
        let server = try await TestServer {
            $0.apply(file)
            $0.nodes = try! NodeCatalog.builtIn.adding(ExampleNodes.catalog)
        }
        let audio = try Self.presses()
        let frames = stride(from: 0, to: audio.count, by: 160).map { Array(audio[$0..<min($0 + 160, audio.count)]) }
        let call = try await server.call()
        call.sendConnectedAndStart()
        try await call.sendAudio(frames, intervalMs: 5)
        _ = try await call.wait { $0.audio.count >= frames.count * 160 }
        #expect(server.server.registry.live.first?.graph == "keys")
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        #expect(server.server.stats.nodeEvents == ["dtmf": UInt64(Self.keys.count)])
        try await server.stop()
    }

    /// The node's events reach the call's agent too: a voiced.v1 bot (Examples/bot/bot.py) is
    /// told each press as a `node_event`.
    @Test func theNodesEventsReachABot() async throws {
        let bot = try await ExampleBot()
        defer { bot.stop() }
        let server = try await TestServer {
            $0.agentProfiles = ["bot": .ws(BotSettings(url: bot.url, dialect: .voicedV1))]
            $0.agent = "bot"
            $0.graph = try! GraphSpec(name: "keys", parsing: "dtmf; ")
            $0.nodes = try! NodeCatalog.builtIn.adding(ExampleNodes.catalog)
        }
        let audio = try Self.presses()
        let call = try await server.call()
        call.sendConnectedAndStart()
        #expect(try await bot.waitForLine(startingWith: "call ") != nil, "the bot got `start`")
        try await call.sendAudio(stride(from: 0, to: audio.count, by: 160).map { Array(audio[$0..<min($0 + 160, audio.count)]) }, intervalMs: 5)
        for (key, ms) in zip(Self.keys, [120, 320, 520, 720]) {
            #expect(try await bot.waitForLine(startingWith: "node_event dtmf \(key) ") == "node_event dtmf \(key) at \(ms)")
        }
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}
