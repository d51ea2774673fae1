import _CryptoExtras
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The RSA signing keys of an OpenID Connect issuer (Azure Communication Services' Call
/// Automation, Entra ID for Event Grid): its metadata document names `jwks_uri`, which lists the
/// keys by id (`kid`, modulus `n`, exponent `e`). Fetched on first use, cached, and fetched again
/// when a token names a key id the cache does not hold (keys rotate) — at most once per
/// ``refetchInterval``, so tokens with made-up key ids cannot make voiced hammer the issuer.
///
/// - Threading: any thread (the cache is under a lock; fetching is async).
final class OpenIDKeySet: Sendable {
    let metadataURL: String
    private let fetcher: any HTTPFetching
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var keys: [String: _RSA.Signing.PublicKey] = [:]
        var fetchedAt: Date?
    }

    /// Shortest time between two fetches of the key set.
    static let refetchInterval: TimeInterval = 60

    init(metadataURL: String, fetcher: any HTTPFetching, logger: Logger) {
        self.metadataURL = metadataURL
        self.fetcher = fetcher
        self.logger = logger
    }

    /// The key with id `kid` if the cache holds it (no fetch).
    func cachedKey(id kid: String) -> _RSA.Signing.PublicKey? { state.withLockedValue { $0.keys[kid] } }

    /// The key with id `kid`, fetching the set when the cache lacks it (and may fetch again).
    func key(id kid: String) async -> _RSA.Signing.PublicKey? {
        let (cached, mayFetch) = state.withLockedValue { state -> (_RSA.Signing.PublicKey?, Bool) in
            let due = state.fetchedAt.map { Date().timeIntervalSince($0) >= Self.refetchInterval } ?? true
            if state.keys[kid] == nil, due { state.fetchedAt = Date() }
            return (state.keys[kid], state.keys[kid] == nil && due)
        }
        if let cached { return cached }
        guard mayFetch else { return nil }
        do {
            let keys = try await fetchKeys()
            state.withLockedValue { $0.keys = keys }
            logger.info("OpenID signing keys fetched", metadata: ["metadata": "\(metadataURL)", "keys": "\(keys.count)"])
            return keys[kid]
        } catch {
            logger.error("OpenID signing keys could not be fetched", metadata: ["metadata": "\(metadataURL)", "error": "\(error)"])
            return nil
        }
    }

    struct FetchError: Error, CustomStringConvertible {
        var description: String
    }

    /// The metadata document, then its `jwks_uri`: every RSA key with an id.
    private func fetchKeys() async throws -> [String: _RSA.Signing.PublicKey] {
        let metadata = try await fetcher.get(metadataURL)
        guard let document = (try? JSONSerialization.jsonObject(with: metadata)) as? [String: Any],
              let jwksURL = document["jwks_uri"] as? String else { throw FetchError(description: "no jwks_uri in \(metadataURL)") }
        let jwks = try await fetcher.get(jwksURL)
        guard let set = (try? JSONSerialization.jsonObject(with: jwks)) as? [String: Any], let keys = set["keys"] as? [[String: Any]] else {
            throw FetchError(description: "no keys at \(jwksURL)")
        }
        var result: [String: _RSA.Signing.PublicKey] = [:]
        for key in keys {
            guard key["kty"] as? String == "RSA", let kid = key["kid"] as? String,
                  let n = (key["n"] as? String).flatMap({ JSONWebToken.base64URL(Substring($0)) }),
                  let e = (key["e"] as? String).flatMap({ JSONWebToken.base64URL(Substring($0)) }),
                  let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { continue }
            result[kid] = publicKey
        }
        return result
    }
}
