import CAudio
import Foundation
import MediaGraph
import Testing
import MediaTesting

/// Opus encode → decode on the test speech at 16 kHz, with and without lost packets.
@Suite struct OpusNodeTests {
    /// Runs the speech through `opus-encode → [drop] → opus-decode`, losing the packets `lose` picks.
    static func roundTrip(lose: (Int) -> Bool) throws -> (input: [Int16], output: [Int16], packetBytes: [Int], concealed: UInt64) {
        let speech = try AudioProcessingTests.speech16k()
        let encoder = OpusEncodeNode()
        let decoder = OpusDecodeNode()
        let encode = try NodeChain(nodes: [encoder], input: .init(encoding: .pcm16, sampleRateHz: 16000))
        let decode = try NodeChain(nodes: [decoder], input: encode.outputFormat)
        var output: [Int16] = []
        var sizes: [Int] = []
        for (k, at) in stride(from: 0, to: speech.count - 320, by: 320).enumerated() {
            encode.input.pointee.sampleCount = 320
            let pcm = encode.input.pointee.pcm16
            for i in 0..<320 { pcm[i] = speech[at + i] }
            encode.run()
            let packet = encode.output.pointee
            sizes.append(packet.packetByteCount)
            decode.input.pointee.sampleCount = 320
            decode.input.pointee.packetByteCount = lose(k) ? 0 : packet.packetByteCount
            decode.input.pointee.storage.copyMemory(from: UnsafeRawBufferPointer(packet.storage))
            decode.run()
            output += decode.output.pointee.pcm16
        }
        return (Array(speech[0..<output.count]), output, sizes, decoder.concealedFrames)
    }

    /// Best normalised cross-correlation of `output` against `input` over lags 0…40 ms.
    static func similarity(_ input: [Int16], _ output: [Int16]) -> (correlation: Double, lagMs: Double) {
        var best = (0.0, 0.0)
        for lag in stride(from: 0, through: 640, by: 8) {
            var xy = 0.0, xx = 0.0, yy = 0.0
            for i in stride(from: 16000, to: input.count - lag, by: 2) {
                let x = Double(input[i]), y = Double(output[i + lag])
                xy += x * y; xx += x * x; yy += y * y
            }
            let c = xy / max((xx * yy).squareRoot(), 1)
            if c > best.0 { best = (c, Double(lag) / 16) }
        }
        return best
    }

    @Test func speechSurvivesAnOpusRoundTrip() throws {
        let r = try Self.roundTrip { _ in false }
        let (c, lag) = Self.similarity(r.input, r.output)
        let meanBytes = Double(r.packetBytes.reduce(0, +)) / Double(r.packetBytes.count)
        print("opus 24 kbit/s: correlation \(String(format: "%.3f", c)) at \(lag) ms, mean packet \(Int(meanBytes)) bytes")
        #expect(c > 0.9)
        #expect(r.packetBytes.allSatisfy { $0 > 0 && $0 <= 1275 })
        #expect(r.concealed == 0)
    }

    @Test func lostPacketsAreConcealedNotSilenced() throws {
        let r = try Self.roundTrip { $0 % 10 == 5 } // 10 % loss
        #expect(r.concealed == UInt64(r.packetBytes.count / 10) || r.concealed == UInt64(r.packetBytes.count / 10 + 1))
        // A concealed frame inside speech carries sound, not a hole.
        var concealedWithSound = 0, concealedInSpeech = 0
        for k in stride(from: 5, to: r.packetBytes.count, by: 10) {
            let input = r.input[(k * 320)..<(k * 320 + 320)].reduce(0.0) { $0 + Double($1) * Double($1) }
            guard input > 320 * 1000 * 1000 else { continue }
            concealedInSpeech += 1
            let out = r.output[(k * 320)..<(k * 320 + 320)].reduce(0.0) { $0 + Double($1) * Double($1) }
            if out > input / 100 { concealedWithSound += 1 }
        }
        print("opus PLC: \(concealedWithSound) of \(concealedInSpeech) lost frames inside speech carry sound")
        #expect(concealedInSpeech > 0)
        #expect(concealedWithSound * 10 >= concealedInSpeech * 8)
        #expect(Self.similarity(r.input, r.output).correlation > 0.7)
    }

    @Test func refusesWhatOpusCannotTake() {
        #expect(throws: GraphBuildError.self) { try OpusEncodeNode().prepare(input: .telephonyMuLaw) }
        #expect(throws: GraphBuildError.self) { try OpusEncodeNode(bitrate: 1000).prepare(input: .pcm8k) }
        #expect(throws: GraphBuildError.self) { try OpusDecodeNode().prepare(input: .pcm8k) }
    }
}
