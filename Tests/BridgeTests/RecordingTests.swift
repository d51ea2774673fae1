import Bridge
import CAudio
import Foundation
import MediaGraph
import Testing
import VoicedTesting

/// A recorded call on a real daemon: the file is a stereo Ogg Opus that Opus' own decoder
/// (opusdec, from opus-tools) reads back, the caller on the left, the agent (the echo, so the same
/// speech) on the right, in time with each other; the call's record points at it.
///
/// Runs alone (`VOICED_LOAD_TESTS=1`, as scripts/test does after the main suite): the agent's echo
/// comes back at real time, and under the parallel suite its round trip wanders by hundreds of ms —
/// which the recording then shows, faithfully.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["VOICED_LOAD_TESTS"] != nil), .serialized)
struct RecordingTests {
    /// Normalised correlation of `a` and `b` at the best lag within ±`maxLag` samples, and that lag.
    static func match(_ a: [Int16], _ b: [Int16], maxLag: Int) -> (correlation: Double, lag: Int) {
        let n = min(a.count, b.count) - 2 * maxLag
        var best = (correlation: -1.0, lag: 0)
        for lag in -maxLag...maxLag {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for i in maxLag..<(maxLag + n) {
                let x = Double(a[i]), y = Double(b[i + lag])
                ab += x * y; aa += x * x; bb += y * y
            }
            let c = ab / max(1, (aa * bb).squareRoot())
            if c > best.correlation { best = (c, lag) }
        }
        return best
    }

    /// Pearson correlation of the two signals' RMS per 20 ms frame (8 kHz) at the best lag of `b`
    /// behind `a` within `maxLagFrames`, and that lag.
    static func envelopeMatch(_ a: [Int16], _ b: [Int16], maxLagFrames: Int) -> (correlation: Double, lagFrames: Int) {
        func envelope(_ x: [Int16]) -> [Double] {
            stride(from: 0, to: x.count - 159, by: 160).map { start in
                (x[start..<(start + 160)].reduce(0.0) { $0 + Double($1) * Double($1) } / 160).squareRoot()
            }
        }
        let (ea, eb) = (envelope(a), envelope(b))
        let n = min(ea.count, eb.count) - maxLagFrames
        var best = (correlation: -1.0, lagFrames: 0)
        for lag in 0...maxLagFrames {
            let x = Array(ea[0..<n]), y = Array(eb[lag..<(lag + n)])
            let (mx, my) = (x.reduce(0, +) / Double(n), y.reduce(0, +) / Double(n))
            var xy = 0.0, xx = 0.0, yy = 0.0
            for i in 0..<n { xy += (x[i] - mx) * (y[i] - my); xx += (x[i] - mx) * (x[i] - mx); yy += (y[i] - my) * (y[i] - my) }
            let c = xy / max(1e-9, (xx * yy).squareRoot())
            if c > best.correlation { best = (c, lag) }
        }
        return best
    }

    /// The recording at `path` decoded by Opus' own decoder (opusdec) at `rateHz`: its left and right
    /// channels.
    static func decodeStereo(_ path: String, rateHz: Int) throws -> (left: [Int16], right: [Int16]) {
        let wav = path + ".wav"
        let decoder = Process()
        decoder.executableURL = URL(fileURLWithPath: "/usr/bin/opusdec")
        decoder.arguments = ["--quiet", "--rate", "\(rateHz)", path, wav]
        try decoder.run()
        decoder.waitUntilExit()
        #expect(decoder.terminationStatus == 0, "opusdec (apt-get install opus-tools) decodes the file")
        // RIFF: channels at byte 22, rate at 24; samples after the "data" chunk's header.
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: wav)))
        #expect(file[22] == 2 && Int(file[24]) | Int(file[25]) << 8 | Int(file[26]) << 16 == rateHz, "stereo at \(rateHz) Hz")
        let data = try #require(file.firstRange(of: Array("data".utf8))).upperBound + 4
        let samples = file[data...].withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        return (stride(from: 0, to: samples.count, by: 2).map { samples[$0] }, stride(from: 1, to: samples.count, by: 2).map { samples[$0] })
    }

    @Test func aCallThatAsksIsRecordedInStereoAndInTime() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-recordings-\(UUID().uuidString)").path
        let records = CallRecordsTests.temporaryPath()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: records)
        }
        let server = try await TestServer {
            $0.recordings = RecordingSettings(directory: directory)
            $0.records = records
            $0.call = .init()  // paced, as a real call
        }
        let speech = Array(try TestSpeech.frames().prefix(200))
        let call = try await server.call()
        call.sendConnectedAndStart(parameters: ["record": "true"])
        try await call.sendAudio(speech, intervalMs: 20)
        _ = try await call.wait { $0.audio.count >= speech.count * 160 }
        call.sendStop()
        await call.client.close()
        // A second call that does not ask is not recorded.
        let other = try await server.call()
        other.sendConnectedAndStart()
        try await other.sendAudio(Array(speech.prefix(10)))
        other.sendStop()
        await other.client.close()
        #expect(try await server.waitUntilIdle())
        let recordings = try #require(server.server.recordings)
        try await until { recordings.finished.load(ordering: .relaxed) == 1 }
        try await server.stop()

        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.count == 1 && files[0].hasSuffix(".opus"))
        let path = (directory as NSString).appendingPathComponent(files[0])
        let row = try #require(try CallRecords.read(records, since: nil).first { $0.providerCallID == call.messages.callSid })
        #expect(row.recording == path)

        // Decoded by opusdec at 8 kHz: stereo, as long as the call.
        let (left, right) = try Self.decodeStereo(path, rateHz: 8000)
        let seconds = Double(left.count) / 8000
        #expect(abs(seconds - 4) < 0.5, "the recording lasts as long as the call's 4 s of caller audio (\(seconds) s)")

        var sent = [Int16](repeating: 0, count: speech.count * 160)
        let bytes = speech.flatMap { $0 }
        vd_ulaw_decode(bytes, &sent, bytes.count)
        // Opus' own delay (pre-skip is removed by opusdec; what is left is a few ms): the caller is on
        // the left, near time zero.
        let caller = Self.match(sent, left, maxLag: 400)
        #expect(caller.correlation > 0.8, "the left channel is the caller (\(caller))")
        #expect(abs(caller.lag) < 160, "at its own time (lag \(caller.lag) samples)")
        // The echo agent said the same words back: on the right, a few frames after. Its delay is the
        // echo's round trip, which varies on a loaded machine, so the two are compared by their
        // levels per 20 ms frame rather than sample by sample.
        let agent = Self.envelopeMatch(left, right, maxLagFrames: 15)
        #expect(agent.correlation > 0.8, "the right channel is the agent (\(agent))")
        #expect(agent.lagFrames >= 0 && agent.lagFrames <= 10, "the agent's words follow the caller's by \(agent.lagFrames * 20) ms")
    }

    /// A Telnyx OPUS call is recorded from its packets: each side decoded with its own decoder (an
    /// Opus stream keeps its history), the caller on the left as the daemon heard them.
    @Test func anOpusCallIsRecordedFromItsPackets() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-recordings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await TestServer {
            $0.recordings = RecordingSettings(directory: directory)
            $0.call = .init()
        }
        let wire = TelnyxWire(codec: .opus, rateHz: 16000)
        let packets = Array(try TestSpeech.frames(for: wire).prefix(150))
        let call = try await server.call(wire)
        call.open(parameters: ["record": "true"])
        try await call.sendAudio(packets, intervalMs: 20)
        _ = try await call.wait { $0.messageSizes.count >= packets.count }
        await call.sendStop()
        await call.client.close()
        #expect(try await server.waitUntilIdle())
        let recordings = try #require(server.server.recordings)
        try await until { recordings.finished.load(ordering: .relaxed) == 1 }
        try await server.stop()

        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first)
        let (left, right) = try Self.decodeStereo((directory as NSString).appendingPathComponent(file), rateHz: 16000)
        let heard = try ProviderCallTests.decodeOpus(packets, rateHz: 16000)
        let caller = Self.match(heard, left, maxLag: 800)
        #expect(caller.correlation > 0.8, "the left channel is the caller's decoded packets (\(caller))")
        let agent = Self.envelopeMatch(left, right, maxLagFrames: 30)
        #expect(agent.correlation > 0.8, "the right channel is the agent's echo (\(agent))")
    }
}
