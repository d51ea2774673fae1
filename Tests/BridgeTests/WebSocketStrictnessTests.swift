import Bridge
import Foundation
import MediaGraph
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import Testing
import VoicedTesting

/// RFC 6455 on the provider socket: the daemon on loopback, driven by a client that writes frames by
/// hand, fails a connection that breaks framing (1002), sends text that is not UTF-8 (1007) or a bad
/// close (1002/1007), answers a good close with its own code, counts each kind in `/stats` and lets a
/// well-formed call through.
@Suite struct WebSocketStrictnessTests {
    /// Each violation gets a close with 1002 and the server's close of the socket; the `connected` and
    /// `start` written behind it in the same packet are dropped, so no call starts.
    @Test func framingViolationsFailTheConnectionWith1002() async throws {
        let server = try await TestServer()
        let connected = Array(TwilioMessages.random().connected.utf8)
        let cases: [(String, [UInt8])] = [
            ("unmasked text", RawSocket.frame(.fin | .text, connected, masked: false)),
            ("unmasked close", RawSocket.frame(.fin | .close, RawSocket.closePayload(1000), masked: false)),
            ("RSV1", RawSocket.frame(.fin | .rsv1 | .text, connected)),
            ("RSV2", RawSocket.frame(.fin | .rsv2 | .binary, [1, 2, 3])),
            ("RSV3 on a ping", RawSocket.frame(.fin | .rsv3 | .ping, [])),
            ("opcode 0x3", RawSocket.frame(.fin | 0x3, connected)),
            ("opcode 0x7 unfinished", RawSocket.frame(0x7, connected)),
            ("opcode 0xB", RawSocket.frame(.fin | 0xB, [])),
            ("opcode 0xF", RawSocket.frame(.fin | 0xF, [9])),
            // NIO's decoder fails these two itself.
            ("fragmented ping", RawSocket.frame(.ping, [1])),
            ("126-byte ping", RawSocket.frame(.fin | .ping, [UInt8](repeating: 0x61, count: 126))),
        ]
        for (name, bad) in cases {
            let socket = try await RawSocket.upgraded(port: server.port)
            let messages = TwilioMessages.random()
            socket.send(bad + RawSocket.text(messages.connected) + RawSocket.text(messages.start()))
            let end = try await socket.waitForClose()
            #expect(end.code == 1002, "\(name)")
            #expect(end.closedByServer, "\(name)")
        }
        #expect(server.server.stats.callsStarted.load(ordering: .relaxed) == 0, "nothing after a violation is read")
        #expect(try await RawSocket.rejections(port: server.port) == [
            "ws_unmasked": 2, "ws_reserved_bits": 3, "ws_reserved_opcode": 4,
        ])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    @Test func textThatIsNotUTF8ClosesWith1007() async throws {
        let server = try await TestServer()
        let bad: [(String, [UInt8])] = [
            ("overlong '/'", [0xC0, 0xAF]),
            ("lone continuation", [0x80]),
            ("surrogate U+D800", [0xED, 0xA0, 0x80]),
            ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("0xF5 lead", [0xF5, 0x80, 0x80, 0x80]),
            ("truncated 3-byte form", [0xE2, 0x82]),
        ]
        for (name, bytes) in bad {
            let socket = try await RawSocket.upgraded(port: server.port)
            socket.send(RawSocket.frame(.fin | .text, Array(#"{"event":"connected","protocol":""#.utf8) + bytes + Array(#""}"#.utf8)))
            let end = try await socket.waitForClose()
            #expect(end.code == 1007, "\(name)")
            #expect(end.closedByServer, "\(name)")
        }
        // A call in progress ends the same way.
        let socket = try await RawSocket.upgraded(port: server.port)
        socket.send(RawSocket.text(TwilioMessages.random().start()))
        try await until { server.server.registry.count == 1 }
        socket.send(RawSocket.frame(.fin | .text, [0x22, 0xFF, 0x22]))
        let end = try await socket.waitForClose()
        #expect(end.code == 1007 && end.closedByServer)
        #expect(try await RawSocket.rejections(port: server.port) == ["ws_bad_utf8": 7])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        try await server.stop()
    }

    /// RFC 6455 §5.5.1 and §7.4: a close is answered with its own code; a code that may not be sent or
    /// a 1-byte payload with 1002, a reason that is not UTF-8 with 1007.
    @Test func closesAreAnsweredWithTheirCodeOrFailed() async throws {
        let server = try await TestServer()
        let cases: [(payload: [UInt8], answer: UInt16)] = [
            ([], 1000),
            (RawSocket.closePayload(1000), 1000),
            (RawSocket.closePayload(1001, reason: Array("bye".utf8)), 1001),
            (RawSocket.closePayload(1003), 1003),
            (RawSocket.closePayload(1007), 1007),
            (RawSocket.closePayload(1014), 1014),
            (RawSocket.closePayload(3000, reason: Array("fin de l’appel".utf8)), 3000),
            (RawSocket.closePayload(4999), 4999),
            (RawSocket.closePayload(999), 1002),
            (RawSocket.closePayload(1004), 1002),
            (RawSocket.closePayload(1005), 1002),
            (RawSocket.closePayload(1006), 1002),
            (RawSocket.closePayload(1015), 1002),
            (RawSocket.closePayload(1016), 1002),
            (RawSocket.closePayload(2999), 1002),
            (RawSocket.closePayload(5000), 1002),
            ([0x03], 1002),
            (RawSocket.closePayload(1000, reason: [0x6F, 0x6B, 0xC3, 0x28]), 1007),
        ]
        for (payload, answer) in cases {
            let socket = try await RawSocket.upgraded(port: server.port)
            socket.send(RawSocket.frame(.fin | .close, payload))
            let end = try await socket.waitForClose()
            #expect(end.code == answer, "close payload \(payload)")
            #expect(end.closedByServer, "close payload \(payload)")
        }
        #expect(try await RawSocket.rejections(port: server.port) == ["ws_bad_close_code": 9, "ws_bad_utf8": 1])
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        try await server.stop()
    }

    /// Masked frames with no reserved bits pass: `connected` fragmented in the middle of a 4-byte
    /// character (checked once whole, not per fragment), `start`, media, and a close with 1000.
    @Test func aWellFormedCallStillWorks() async throws {
        let server = try await TestServer()
        let socket = try await RawSocket.upgraded(port: server.port)
        let messages = TwilioMessages.random()
        let connected = Array(#"{"event":"connected","protocol":"Call","version":"1.0.0","note":"📞"}"#.utf8)
        let split = connected.count - 4 // inside the emoji
        socket.send(RawSocket.frame(.text, Array(connected[..<split])) + RawSocket.frame(.fin | .continuation, Array(connected[split...])))
        socket.send(RawSocket.text(messages.start()))
        socket.send(RawSocket.text(messages.media(sequence: 2, chunk: 1, timestampMs: 0,
                                                   base64Payload: TwilioMessages.base64([UInt8](repeating: 0xFF, count: 160)))))
        try await until { server.server.stats.framesIn.load(ordering: .relaxed) >= 1 }
        #expect(server.server.registry.count == 1)
        socket.send(RawSocket.frame(.fin | .close, RawSocket.closePayload(1000)))
        let end = try await socket.waitForClose()
        #expect(end.code == 1000 && end.closedByServer)
        #expect(try await server.waitUntilIdle(timeout: .seconds(30)))
        #expect(server.server.stats.callsEnded.load(ordering: .relaxed) == 1)
        #expect(try await RawSocket.rejections(port: server.port) == [:])
        try await server.stop()
    }

    /// The validator agrees with the standard library's UTF-8 validation on byte strings mixing
    /// well-formed characters of every length with bytes at the edges of the forms, around the ASCII
    /// fast path's 8-byte steps.
    @Test func utf8ValidationAgreesWithTheStandardLibrary() {
        let edges: [UInt8] = [0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
                              0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        let characters = ["a", "é", "ß", "€", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "😀", "\u{10000}", "\u{10FFFF}"].map { Array($0.utf8) }
        var random = SplitMix64(seed: 6455)
        var valid = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<12, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes.append(edges.randomElement(using: &random)!)
                case 1: bytes += [UInt8](repeating: 0x41, count: Int.random(in: 1...9, using: &random))
                default: bytes += characters.randomElement(using: &random)!
                }
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if expected { valid += 1 }
            let got = bytes.withUnsafeBytes(UTF8Validation.isValid)
            #expect(got == expected, "\(bytes.map { String($0, radix: 16) })")
            if got != expected { return }
        }
        #expect(valid > 2_000 && valid < 18_000, "both kinds were tried")
    }
}
