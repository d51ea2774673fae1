/// The media threads of one daemon, started at boot; places each new call on the least-loaded one.
///
/// - Threading: all members may be called from any thread.
/// - Ownership: owns its threads; `stop()` (or deinit) stops and joins them.
/// - Realtime: unsafe; control and I/O threads only.
public final class MediaThreadPool: Sendable {
    public let threads: [MediaThread]

    /// Starts `count` threads, each with `configuration`.
    public init(count: Int, configuration: MediaThread.Configuration = .init()) throws(MediaThreadError) {
        var threads: [MediaThread] = []
        for i in 0..<max(1, count) { threads.append(try MediaThread(index: i, configuration: configuration)) }
        self.threads = threads
    }

    /// Attaches `call` to the least-loaded thread and returns that thread.
    public func attach(_ call: CallPipeline) throws(MediaThreadError) -> MediaThread {
        var lastError = MediaThreadError.stopped
        for thread in threads.sorted(by: { $0.load < $1.load }) {
            do {
                try thread.attach(call)
                return thread
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Calls attached across every thread.
    public var attachedCalls: Int { threads.reduce(0) { $0 + $1.attachedCalls } }

    public func stop() { threads.forEach { $0.stop() } }
}
