#if DEBUG
@testable import Bridge
import Foundation
import MediaGraph

/// What operators and providers' webhooks write: graph specs, the configuration file, the strings
/// every provider's signature is computed over, JWTs, and what logs take from the wire.
enum TextTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget("graph-spec", "graph spec text, then the graph built from it for a μ-law provider") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let spec = try? GraphSpec(parsing: text) else { return }
            _ = try? GraphSpec(parsing: spec.text)
            // Bounded: a spec of thousands of nodes is refused by cost long before it runs.
            guard spec.uplink.count + spec.downlink.count <= 16 else { return }
            _ = try? Graph(spec: spec, providerFormat: .telephonyMuLaw)
        },
        FuzzTarget("config", "the TOML configuration file, and the server configuration it makes") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            guard let file = try? ConfigFile(toml: text, environment: ["OPENAI_API_KEY": "sk-fuzz", "TOKEN": "fuzz"]) else { return }
            var server = VoicedServer.Configuration()
            server.apply(file)
            _ = "\(file.agents)"
        },
        FuzzTarget("signatures", "the signed strings of Twilio and Plivo, Telnyx's and Vonage's checks, JWTs") { bytes in
            let parts = messages(bytes).map { String(decoding: $0, as: UTF8.self) }
            let url = parts.first ?? ""
            let pairs = stride(from: 1, to: parts.count - 1, by: 2).map { (parts[$0], parts[$0 + 1]) }
            _ = TwilioSignature.signedString(url, pairs)
            _ = TwilioSignature.urlVariants(url)
            _ = TwilioSignature.isValid(parts.last ?? "", url: url, parameters: pairs, jsonBody: Array(bytes), token: "fuzz")
            _ = PlivoSignature.signedString(method: "POST", url: url, parameters: pairs)
            _ = TelnyxSignature.refusal(signature: parts.last, timestamp: parts.dropLast().last, body: Array(bytes),
                                        publicKey: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
            _ = VonageSignature.refusal(authorization: "Bearer " + url, body: Array(bytes), secret: "fuzz")
            _ = JSONWebToken(url)
        },
        FuzzTarget("wire-text", "what logs take from the wire: escaped and cut") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let shown = "\(WireText(text))"
            precondition(!shown.contains("\n") && !shown.contains("\r"), "a line break reached a log line")
        },
    ]
}
#endif
