import Bridge
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// The `ws` connector with the shipped example bot (Examples/bot/bot.py, a real Python process) on
/// loopback, in both dialects, behind a fake Twilio call that plays and returns marks in real time.
@Suite struct BotAgentTests {
    static func server(_ bot: ExampleBot, dialect: BotSettings.Dialect, graph: GraphSpec, records: String? = nil) async throws -> TestServer {
        try await TestServer {
            $0.agentProfiles = ["bot": .ws(BotSettings(url: bot.url, dialect: dialect))]
            $0.agent = "bot"
            $0.graph = graph
            $0.call = .init()
            $0.records = records
        }
    }

    /// voiced.v1: a turn is said back with its mark played; an interruption reaches the bot as
    /// `interrupted` with its mark cleared (never played); `#` makes the bot hang up.
    @Test func voicedV1TurnsInterruptionsAndHangup() async throws {
        let bot = try await ExampleBot()
        defer { bot.stop() }
        let records = CallRecordsTests.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: records) }
        let server = try await Self.server(bot, dialect: .voicedV1, graph: .standard, records: records)
        var caller = try TestCaller(call: try await server.call())
        caller.call.sendConnectedAndStart(parameters: ["tenant": "acme"])
        #expect(try await bot.waitForLine(startingWith: "call ") != nil, "the bot got `start`")

        _ = try await caller.say(1)
        let words = (caller.sentences[1].end - caller.sentences[1].start) * 8
        var heard = try await caller.silence { $0.audio.count > words && $0.playedBytes == $0.audio.count }
        #expect(heard.audio.count > words, "the bot said the \(words / 8) ms of words back")
        var mark = try await caller.call.waitForBotLine(bot, "mark turn-1", caller: &caller)
        #expect(mark == "mark turn-1 played")

        _ = try await caller.say(3)
        let before = heard.audio.count
        heard = try await caller.silence { $0.audio.count > before + 4000 }
        _ = try await caller.say(4)
        heard = caller.call.received
        #expect(heard.clears.count == 1, "the interruption cleared the bot's audio at the provider")
        let interrupted = try await caller.call.waitForBotLine(bot, "interrupted turn-2", caller: &caller)
        #expect(interrupted?.hasPrefix("interrupted turn-2 heard_ms") == true)
        mark = try await caller.call.waitForBotLine(bot, "mark turn-2", caller: &caller)
        #expect(mark == "mark turn-2 cleared", "a flushed mark is never reported played")
        let metrics = try await PrometheusScrape(port: server.port)
        #expect(metrics.value("voiced_agent_connect_seconds_count", ["agent": "bot"]) == 1)
        #expect(metrics.value("voiced_barge_in_reaction_seconds_count") == 1)
        let reaction = metrics.value("voiced_barge_in_reaction_seconds_sum") ?? -1
        #expect(reaction > 0 && reaction < 1, "the caller talked over the bot for \(reaction) s before voiced cleared it")

        caller.call.client.send(text: caller.call.messages.dtmf(sequence: caller.call.nextSequence(), digit: "#"))
        heard = try await caller.silence(until: { $0.closed }, timeoutMs: 15_000)
        #expect(heard.closed, "the bot hung up the call")
        #expect(try await server.waitUntilIdle())
        try await server.stop()
        let row = try #require(try CallRecords.read(records, since: nil).first)
        #expect(row.endReason == "agent_hung_up" && row.agent == "bot" && row.customParameters == ["tenant": "acme"])
        #expect(row.bargeIns == 1 && row.bargeInReactionMs.count == 1 && row.bargeInReactionMs[0] < 1000)
    }

    /// A bot written for Twilio (it echoes `media` and sends marks) works unchanged behind voiced.
    @Test func aTwilioBotWorksUnchanged() async throws {
        let bot = try await ExampleBot(dialect: "twilio")
        defer { bot.stop() }
        let server = try await Self.server(bot, dialect: .twilio, graph: .passthrough)
        let call = try await server.call()
        call.sendConnectedAndStart()
        let speech = Array(try TestSpeech.frames().prefix(100))
        try await call.sendAudio(speech)
        let heard = try await call.wait { $0.audio.count >= 100 * 160 }
        let sent = speech.flatMap { $0 }
        let firstDifference = zip(heard.audio, sent).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(heard.audio.count == sent.count && firstDifference == nil,
                "μ-law passes through voiced and the bot untouched (\(heard.audio.count) bytes, first difference at \(String(describing: firstDifference)))")
        #expect(try await bot.waitForLine(startingWith: "mark second-1 played") != nil)
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        try await server.stop()
    }
}

extension TwilioTestCall {
    /// Streams silence as `caller` until the bot printed a line starting with `prefix`; returns it.
    func waitForBotLine(_ bot: ExampleBot, _ prefix: String, caller: inout TestCaller<TwilioTestCall>) async throws -> String? {
        for _ in 0..<100 {
            if let line = bot.lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            try await caller.silence(ms: 100)
        }
        return nil
    }
}
