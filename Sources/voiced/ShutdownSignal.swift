import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Waits for SIGINT or SIGTERM.
enum ShutdownSignal {
    /// The signal sources must outlive `wait()`; written once, before any handler can run.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func wait() async {
        let queue = DispatchQueue(label: "voiced.signals")
        let stream = AsyncStream<Void> { continuation in
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { continuation.yield() }
                source.resume()
                sources.append(source)
            }
        }
        for await _ in stream { return }
    }
}
