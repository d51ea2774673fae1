import Bridge
import Testing
import VoicedTesting

@Suite struct TwilioMessageParserTests {
    let messages = TwilioMessages(streamSid: "MZ00000000000000000000000000000001", callSid: "CA00000000000000000000000000000001")

    func parse(_ text: String) -> Result<String, ProviderProtocolError> {
        let parser = TwilioMessageParser()
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            do {
                switch try parser.parse(raw) {
                case let .media(m):
                    return .success("media \(m.chunk) \(m.timestampMs) \(m.payload.count) \(String(decoding: m.streamSid, as: UTF8.self))")
                case let .start(s):
                    return .success("start \(s.streamSid) \(s.callSid) \(s.tracks) \(s.customParameters.sorted { $0.key < $1.key }) \(s.encoding) \(s.sampleRateHz) \(s.channels)")
                case let .dtmf(digit): return .success("dtmf \(digit)")
                case let .mark(name): return .success("mark \(name)")
                case .stop: return .success("stop")
                case .connected: return .success("connected")
                case let .unknown(name): return .success("unknown \(name)")
                }
            } catch let error as ProviderProtocolError {
                return .failure(error)
            } catch {
                Issue.record("unexpected error \(error)")
                return .failure(.notAnObject)
            }
        }
    }

    @Test func parsesEveryEvent() {
        #expect(parse(messages.connected) == .success("connected"))
        #expect(parse(messages.start(parameters: ["tenant": "acme", "agent": "demo"])) == .success(
            #"start MZ00000000000000000000000000000001 CA00000000000000000000000000000001 ["inbound"] [(key: "agent", value: "demo"), (key: "tenant", value: "acme")] audio/x-mulaw 8000 1"#))
        #expect(parse(messages.media(sequence: 2, chunk: 1, timestampMs: 20, base64Payload: "/////w==")) == .success("media 1 20 8 MZ00000000000000000000000000000001"))
        #expect(parse(messages.dtmf(sequence: 3, digit: "#")) == .success("dtmf #"))
        #expect(parse(#"{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"r7:480:12"}}"#) == .success("mark r7:480:12"))
        #expect(parse(messages.stop(sequence: 5)) == .success("stop"))
        #expect(parse(#"{"event":"something-new","extra":[1,2]}"#) == .success("unknown something-new"))
    }

    @Test func ignoresUnknownFieldsAndOrder() {
        let text = #"{"media":{"payload":"AAAA","extra":{"x":[1]},"timestamp":"40","chunk":"2","track":"inbound"},"future":true,"streamSid":"MZ9","event":"media"}"#
        #expect(parse(text) == .success("media 2 40 4 MZ9"))
    }

    @Test func rejectsMalformedMessages() {
        func media(_ chunk: String, _ ts: String, _ payload: String) -> String {
            #"{"event":"media","streamSid":"MZ1","media":{"chunk":\#(chunk),"timestamp":\#(ts),"payload":\#(payload)}}"#
        }
        let cases: [(String, ProviderProtocolError)] = [
            (#"{"event":"media""#, .malformedJSON(.unexpectedEnd)),
            (#"["event"]"#, .notAnObject),
            (#"{"streamSid":"MZ1"}"#, .missingField("event")),
            (#"{"event":"media","streamSid":"MZ1"}"#, .missingField("media")),
            (#"{"event":"media","media":{"chunk":"1","timestamp":"0","payload":"AAAA"}}"#, .missingField("streamSid")),
            (media(#""1""#, #""0""#, #""""#), .badPayload),
            (media(#""1""#, #""0""#, #""AA!A""#), .badPayload),
            (media(#""1""#, #""0""#, #""AAA""#), .badPayload),
            (media(#""1""#, #""0""#, "7"), .missingField("media.payload")),
            (media(#""x1""#, #""0""#, #""AAAA""#), .badCounter("media.chunk")),
            (media(#""1""#, #""-20""#, #""AAAA""#), .badCounter("media.timestamp")),
            (media(#""1""#, #""2.5""#, #""AAAA""#), .badCounter("media.timestamp")),
            (media(#""1""#, "20", #""AAAA""#), .badCounter("media.timestamp")),
            (#"{"event":"media","streamSid":"MZ1","media":{"timestamp":"0","payload":"AAAA"}}"#, .missingField("media.chunk")),
            (#"{"event":"start","start":{"callSid":"CA1"}}"#, .missingField("start.streamSid")),
            (#"{"event":"start","start":{"streamSid":"MZ1"}}"#, .missingField("start.mediaFormat")),
            (#"{"event":"mark","mark":{}}"#, .missingField("mark.name")),
            (#"{"event":"dtmf"}"#, .missingField("dtmf.digit")),
            (#"{"event":"dtmf","dtmf":{"digit":"1\n2"}}"#, .badDTMF),
            (#"{"event":"dtmf","dtmf":{"digit":"12"}}"#, .badDTMF),
            (#"{"event":"dtmf","dtmf":{"digit":"E"}}"#, .badDTMF),
            (#"{"event":"dtmf","dtmf":{"digit":"\u0000"}}"#, .badDTMF),
            // "Last wins" would let a media message end the call.
            (#"{"event":"media","streamSid":"MZ1","media":{"chunk":"1","timestamp":"0","payload":"AAAA"},"event":"stop"}"#,
             .malformedJSON(.duplicateKey(at: 90))),
        ]
        for (text, error) in cases { #expect(parse(text) == .failure(error), "\(text)") }
    }
}

@Suite struct MediaTimelineTests {
    @Test func findsGapsAndResynchronisesBackwards() {
        var t = MediaTimeline(bytesPerMs: 8)
        #expect(t.advance(timestampMs: 0, payloadBytes: 160) == 0)
        #expect(t.advance(timestampMs: 20, payloadBytes: 160) == 0)
        #expect(t.advance(timestampMs: 100, payloadBytes: 160) == 60, "frames at 40, 60, 80 are missing")
        #expect(t.advance(timestampMs: 50, payloadBytes: 160) == 0, "backwards: resynchronise, no padding")
        #expect(t.advance(timestampMs: 70, payloadBytes: 320) == 0)
        #expect(t.advance(timestampMs: 110, payloadBytes: 160) == 0, "a 40 ms payload covers 70…110")
    }
}
