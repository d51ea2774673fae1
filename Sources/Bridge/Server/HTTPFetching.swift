import Foundation

/// The HTTP requests voiced makes itself (control plane only): fetching OpenID key sets,
/// answering ACS calls through Call Automation.
///
/// - Threading: any thread; async.
protocol HTTPFetching: Sendable {
    /// GETs `url`; throws unless the status is 2xx.
    func get(_ url: String) async throws -> Data
    /// POSTs `body` with `headers` to `url`; returns the status and body.
    func post(_ url: String, headers: [(String, String)], body: Data) async throws -> (status: Int, body: Data)
}
