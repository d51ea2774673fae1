#if DEBUG
@testable import Bridge
import Foundation
import MediaGraph
import NIOHTTP1

/// What comes off sockets: every provider's media messages (a message sequence per input, so the
/// `start` a dialect accepts shapes how it reads the rest), the Realtime and bot protocols, base64,
/// the JSON tape and UTF-8 validation.
enum WireTargets {
    static let all: [FuzzTarget] = ProviderEndpoint.all.map { endpoint in
        FuzzTarget(endpoint.provider, "\(endpoint.provider)'s media socket: messages (text, or binary after a 0x00) split at 0xFF") { bytes in
            let dialect = endpoint.makeDialect(HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path,
                                                               headers: ["x-ms-call-connection-id": "fuzz", "x-ms-call-correlation-id": "fuzz"]))
            for message in messages(bytes) {
                let event: ProviderEvent
                do {
                    if message.first == 0 {
                        event = try dialect.parse(binary: UnsafeRawBufferPointer(rebasing: message.dropFirst()))
                    } else {
                        event = try dialect.parse(text: message)
                    }
                } catch {
                    _ = "\(error)"
                    continue
                }
                switch event {
                case let .start(start): _ = try? dialect.accept(start)
                case let .media(media): decode(media)
                default: break
                }
            }
        }
    } + [
        FuzzTarget("realtime", "OpenAI Realtime (GA) and Azure Voice Live server events, split at 0xFF") { bytes in
            for dialect in RealtimeSettings.Dialect.allCases {
                let parser = RealtimeMessageParser(dialect: dialect)
                for message in messages(bytes) { _ = try? parser.parse(message) }
            }
        },
        FuzzTarget("bot", "voiced.v1 and Twilio-dialect bot messages (binary after a 0x00), split at 0xFF") { bytes in
            let dialects: [BotDialect] = [VoicedBotDialect(), TwilioBotDialect()]
            for dialect in dialects {
                for message in messages(bytes) {
                    if message.first == 0 {
                        _ = try? dialect.parse(binary: UnsafeRawBufferPointer(rebasing: message.dropFirst()))
                    } else {
                        _ = try? dialect.parse(text: message)
                    }
                }
            }
        },
        FuzzTarget("base64", "base64 validation and decoding into a buffer of the input's size") { bytes in
            _ = Base64.isValid(bytes)
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: Base64.maxDecodedCount(bytes.count) + 3, alignment: 1)
            defer { out.deallocate() }
            if let n = Base64.decode(bytes, into: out) {
                precondition(n <= out.count && n == Base64.decodedCount(bytes), "decoded \(n) bytes")
            }
        },
        FuzzTarget("json", "the JSON tape (512 values), members and strings of what it parsed") { bytes in
            let tape = JSONTape(maxTokens: 512)
            guard (try? tape.parse(bytes)) != nil else { return }
            if tape[0].kind == .object, let type = tape.member("type", of: 0) { _ = tape.equals(type, "media") }
        },
        FuzzTarget("utf8", "UTF-8 validation against Swift's own decoder") { bytes in
            let mine = UTF8Validation.isValid(bytes)
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            var valid = true
            loop: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: break loop
                case .error: valid = false; break loop
                }
            }
            precondition(mine == valid, "UTF8Validation says \(mine), Swift says \(valid)")
        },
    ]

    /// Decodes a media payload as the session does.
    private static func decode(_ media: ProviderMedia) {
        guard media.encoding == .base64 else { return }
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: Base64.maxDecodedCount(media.payload.count) + 3, alignment: 1)
        defer { out.deallocate() }
        _ = Base64.decode(media.payload, into: out)
    }
}
#endif
