import Logging
import NIOConcurrencyHelpers

/// One ``OpenIDKeySet`` per issuer metadata URL, made on first use and kept for the server's life.
///
/// - Threading: any thread.
final class OpenIDKeySets: Sendable {
    private let sets = NIOLockedValueBox<[String: OpenIDKeySet]>([:])
    private let fetcher: any HTTPFetching
    private let logger: Logger

    init(fetcher: any HTTPFetching, logger: Logger) {
        self.fetcher = fetcher
        self.logger = logger
    }

    /// The key set of the issuer whose metadata document is at `metadataURL`.
    func set(_ metadataURL: String) -> OpenIDKeySet {
        sets.withLockedValue { sets in
            if let set = sets[metadataURL] { return set }
            let set = OpenIDKeySet(metadataURL: metadataURL, fetcher: fetcher, logger: logger)
            sets[metadataURL] = set
            return set
        }
    }
}
