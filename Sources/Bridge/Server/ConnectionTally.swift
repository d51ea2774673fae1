import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Admits each new TCP connection or turns it away at once, before any byte is read: at most
/// ``ConnectionLimits/connectionsPerAddress`` open from one client address (one host cannot take
/// every descriptor) and at most ``ConnectionLimits/pendingConnections`` open that are not calls
/// (plain HTTP and upgrades in progress: a flood of idle connections cannot crowd out providers).
/// A refusal closes the connection, is counted in `/stats` → `limitClosures` (kinds `per_address`,
/// `pending`) and `voiced_limit_closures_total`, and is logged the first time and every 1000th.
///
/// - Threading: any event loop; the per-address counts are under a lock taken once per accept and
///   once per close.
final class ConnectionTally: Sendable {
    private let limits: ConnectionLimits
    private let stats: BridgeStats
    private let logger: Logger
    private let open = NIOLockedValueBox<[String: Int]>([:])
    private let refusals = ManagedAtomic<UInt64>(0)

    init(limits: ConnectionLimits, stats: BridgeStats, logger: Logger) {
        self.limits = limits
        self.stats = stats
        self.logger = logger
    }

    /// Takes `channel` in (its address is released when it closes) and returns true, or closes it
    /// and returns false.
    func admit(_ channel: Channel) -> Bool {
        let address = limits.connectionsPerAddress > 0 ? channel.remoteAddress?.ipAddress : nil
        let pending = stats.httpConnectionsOpen.load(ordering: .relaxed)
        let (admitted, count) = open.withLockedValue { open -> (Bool, Int) in
            let count = address.map { open[$0, default: 0] } ?? 0
            if address != nil, count >= limits.connectionsPerAddress { return (false, count) }
            if limits.pendingConnections > 0, pending >= limits.pendingConnections { return (true, count) }
            if let address { open[address] = count + 1 }
            return (true, -1)
        }
        guard admitted else {
            refuse(channel, kind: "per_address", open: count, limit: limits.connectionsPerAddress)
            return false
        }
        guard count < 0 else {
            refuse(channel, kind: "pending", open: pending, limit: limits.pendingConnections)
            return false
        }
        if let address {
            channel.closeFuture.whenComplete { _ in
                self.open.withLockedValue { open in
                    let left = open[address, default: 1] - 1
                    open[address] = left > 0 ? left : nil
                }
            }
        }
        return true
    }

    private func refuse(_ channel: Channel, kind: String, open: Int, limit: Int) {
        stats.closedByLimit(kind)
        if refusals.loadThenWrappingIncrement(ordering: .relaxed) % 1000 == 0 {
            logger.warning("connection refused: too many open", metadata: [
                "limit": "\(kind)", "open": "\(open)", "max": "\(limit)",
                "peer": "\(channel.remoteAddress?.ipAddress ?? "?")",
            ])
        }
        channel.close(promise: nil)
    }
}
