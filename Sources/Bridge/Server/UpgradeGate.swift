/// What the checks of one connection's media upgrade found: set when the upgrade request arrives,
/// read when the socket is made (is the call trusted?) or, for a refused upgrade, by the HTTP
/// handler that answers it (403 for failed authentication, 503 at capacity or while draining).
///
/// - Threading: the connection's event loop only.
final class UpgradeGate: @unchecked Sendable {
    // @unchecked Sendable: set and read only on the connection's event loop (NIO's upgrade
    // callbacks and handlers for one channel run there).
    var authentication: Authentication?
    /// The answer to a refused upgrade; nil when it was let through.
    var refusal: HTTPReply?
}
