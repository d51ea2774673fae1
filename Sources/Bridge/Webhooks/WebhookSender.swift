import Atomics
import Crypto
import Foundation
import Logging

/// Delivers call events (``CallEvent``) to the configured URL, signed, retried, and never in a
/// call's way: `send` only offers the event to a bounded stream (full: dropped and counted); one
/// task takes events from it and delivers up to ``concurrency`` at once, each retried with doubling
/// waits on a network error, a 5xx or a 429 until ``WebhookSettings/maxAttempts`` — given up
/// (counted, logged) after that or on any other status.
///
/// Each POST carries `Content-Type: application/json`, `Voiced-Event: call.ended`,
/// `Voiced-Delivery: <event id>` and `Voiced-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is
/// HMAC-SHA256(secret, "<t>.<body>") — the receiver recomputes it and rejects old `t`s.
///
/// - Threading: `send` from any thread (the event loops); deliveries run as Swift tasks that only
///   await network I/O and timers.
public final class WebhookSender: Sendable {
    static let concurrency = 4

    public let settings: WebhookSettings
    /// Events delivered (2xx), given up after their attempts, dropped because the queue was full,
    /// and retries made.
    public let delivered = ManagedAtomic<UInt64>(0)
    public let failed = ManagedAtomic<UInt64>(0)
    public let dropped = ManagedAtomic<UInt64>(0)
    public let retries = ManagedAtomic<UInt64>(0)

    private let fetcher: HTTPFetching
    private let logger: Logger
    private let events: AsyncStream<CallEvent>
    private let continuation: AsyncStream<CallEvent>.Continuation
    private let worker: Task<Void, Never>

    init(settings: WebhookSettings, fetcher: HTTPFetching, logger: Logger) {
        self.settings = settings
        self.fetcher = fetcher
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: CallEvent.self, bufferingPolicy: .bufferingOldest(settings.capacity))
        let (events, delivery) = (events, Delivery(settings: settings, fetcher: fetcher, logger: logger))
        let counters = (delivered, failed, retries)
        worker = Task {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await event in events {
                    if running == Self.concurrency {
                        await group.next()
                        running -= 1
                    }
                    group.addTask {
                        let outcome = await delivery.deliver(event)
                        counters.2.wrappingIncrement(by: UInt64(outcome.retries), ordering: .relaxed)
                        (outcome.delivered ? counters.0 : counters.1).wrappingIncrement(ordering: .relaxed)
                    }
                    running += 1
                }
            }
        }
    }

    /// Offers `event` for delivery; never waits.
    func send(_ event: CallEvent) {
        if case .dropped = continuation.yield(event) {
            if dropped.loadThenWrappingIncrement(ordering: .relaxed) == 0 {
                logger.error("webhook queue full: call events dropped (is the receiver down?)", metadata: ["capacity": "\(settings.capacity)"])
            }
        }
    }

    /// Takes no more events and waits up to `timeout` for those queued to be delivered or given up.
    func finish(timeout: Duration) async {
        continuation.finish()
        let worker = worker
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await worker.value }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// `Voiced-Signature` for `body` at `timestamp` (unix seconds).
    static func signature(body: String, secret: String, timestamp: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// One event's attempts.
    private struct Delivery: Sendable {
        let settings: WebhookSettings
        let fetcher: HTTPFetching
        let logger: Logger

        func deliver(_ event: CallEvent) async -> (delivered: Bool, retries: Int) {
            var wait = settings.firstRetry
            for attempt in 1...max(1, settings.maxAttempts) {
                let reason: String
                do {
                    let timestamp = Int(Date().timeIntervalSince1970)
                    let (status, _) = try await fetcher.post(settings.url, headers: [
                        ("Content-Type", "application/json"), ("Voiced-Event", event.type), ("Voiced-Delivery", event.id),
                        ("Voiced-Signature", WebhookSender.signature(body: event.body, secret: settings.secret, timestamp: timestamp)),
                    ], body: Data(event.body.utf8))
                    if (200..<300).contains(status) { return (true, attempt - 1) }
                    reason = "status \(status)"
                    guard status >= 500 || status == 429 else {
                        logger.error("webhook refused; not retried", metadata: ["event": "\(event.type)", "id": "\(event.id)", "status": "\(status)"])
                        return (false, attempt - 1)
                    }
                } catch {
                    reason = "\(error)"
                }
                guard attempt < settings.maxAttempts else {
                    logger.error("webhook given up", metadata: ["event": "\(event.type)", "id": "\(event.id)", "attempts": "\(attempt)", "reason": "\(reason)"])
                    return (false, attempt - 1)
                }
                logger.warning("webhook failed; retrying", metadata: ["event": "\(event.type)", "attempt": "\(attempt)", "reason": "\(reason)", "retry_in": "\(wait)"])
                try? await Task.sleep(for: wait)
                wait *= 2
            }
            return (false, settings.maxAttempts - 1)
        }
    }
}
