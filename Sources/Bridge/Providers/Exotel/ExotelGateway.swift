import Foundation
import NIOCore

/// Exotel's HTTP side: its media socket proves itself with the Basic credentials written into the
/// Voicebot applet's URL (`wss://KEY:TOKEN@host/exotel`, sent as `Authorization: Basic`), or by
/// coming from an allowed address. Exotel has no answer webhook: the applet holds the URL.
struct ExotelGateway: ImmediateGateway {
    func authenticateUpgrade(_ request: HTTPRequest, _ context: GatewayContext) -> Authentication {
        guard !context.security.skipAuthentication else { return .unchecked }
        let credentials = context.security.exotelCredentials.flatMap { $0.isEmpty ? nil : $0 }
        let allowed = context.security.exotelAllowedAddresses
        guard credentials != nil || !allowed.isEmpty else { return .unchecked }
        if let credentials, let header = request.headers.first(name: "authorization"), header.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst("basic ".count)).trimmingCharacters(in: .whitespaces)),
           constantTimeEqual(String(decoding: decoded, as: UTF8.self), credentials) {
            return .verified
        }
        if let address = request.remoteAddress?.ipAddress, allowed.contains(address) { return .verified }
        return .refused(credentials != nil ? "no Basic credentials matching the configured ones" : "address not in the allow-list")
    }

    func answer(_ request: HTTPRequest, _ context: GatewayContext) -> HTTPReply? { nil }
}
