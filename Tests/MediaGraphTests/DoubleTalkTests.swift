import Foundation
import MediaGraph
import Testing
import MediaTesting

/// A caller who talks over the agent, through `standard`: each corpus voice's caller sentences
/// start 6 s into another voice's agent monologue, whose echo comes back 200 ms later at −6 dB.
@Suite struct DoubleTalkTests {
    @Test func theCallerWhoTalksOverTheAgentKeepsTheirVoice() throws {
        let corpus = try Corpus()
        for (i, caller) in corpus.voices.prefix(2).enumerated() {
            let agent = corpus.voices[(i + 1) % corpus.voices.count]
            let result = try DoubleTalkMeasurement(spec: .standard, agent: agent.agent, caller: caller.caller, sentences: caller.sentences,
                                                   path: EchoPath(delayMs: 200, attenuationDb: -6))
            print("double talk, \(caller.name) over \(agent.name): median \(String(format: "%.1f", result.medianLossDb)) dB, \(Int(100 * result.framesSixDbDown)) % > 6 dB down, echo \(String(format: "%.1f", result.echoDownDb)) dB down, barge-in \(result.bargeInAfterMs.map(String.init) ?? "none") ms after onset, \(result.overlapFrames) overlap frames")
            #expect(result.overlapFrames > 50)
            #expect(abs(result.medianLossDb) <= 3)
            #expect(result.framesSixDbDown <= 0.2)
            #expect(result.echoDownDb >= 25)
            #expect(result.bargeInAfterMs.map { $0 <= 200 } == true)
            #expect(result.falseBargeIns == 0)
        }
    }
}
