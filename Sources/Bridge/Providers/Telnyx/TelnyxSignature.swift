import Crypto
import Foundation

/// Telnyx's webhook signature (telnyx-python `lib/webhook_verification.py`): headers
/// `telnyx-signature-ed25519` (base64 of a 64-byte Ed25519 signature) and `telnyx-timestamp` (Unix
/// seconds); the signed message is `timestamp|body` (the raw body); the public key is the account's,
/// base64 of its 32 raw bytes (Mission Control → Keys). A timestamp more than 300 s from now, either
/// way, is refused (a replay).
///
/// - Threading: pure functions; any thread (not media threads: they allocate).
enum TelnyxSignature {
    static let toleranceSeconds: Double = 300

    /// Why a request is refused, or nil when it is Telnyx's.
    static func refusal(signature: String?, timestamp: String?, body: [UInt8], publicKey: String,
                        now: Date = Date()) -> String? {
        guard let signature, let timestamp else { return "telnyx-signature-ed25519 or telnyx-timestamp header missing" }
        guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= toleranceSeconds else {
            return "telnyx-timestamp is not within \(Int(toleranceSeconds)) s of now"
        }
        guard let keyBytes = Data(base64Encoded: publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes) else {
            return "the configured Telnyx public key is not base64 of 32 bytes"
        }
        guard let signatureBytes = Data(base64Encoded: signature), signatureBytes.count == 64 else {
            return "telnyx-signature-ed25519 is not base64 of 64 bytes"
        }
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "|"))
        message.append(contentsOf: body)
        return key.isValidSignature(signatureBytes, for: message) ? nil : "the Ed25519 signature does not match"
    }
}
