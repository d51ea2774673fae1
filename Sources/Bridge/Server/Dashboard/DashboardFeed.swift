import NIOCore
import NIOHTTP1

/// `/dashboard/events`: a server-sent-events stream of ``DashboardSnapshot``s, one at once and one
/// a second after, until the page goes away.
///
/// - Threading: the connection's event loop.
/// - Ownership: made and held by the connection's ``ControlHTTPHandler``; `stop()` cancels its timer.
final class DashboardFeed {
    static let path = "/dashboard/events"
    static let interval: TimeAmount = .seconds(1)

    private var timer: RepeatedTask?

    /// Answers with the stream's head, then writes `snapshot()` as an event now and every second
    /// through `write`.
    func start(on loop: EventLoop, write: @escaping (HTTPServerResponsePart, _ flush: Bool) -> Void, snapshot: @escaping () -> String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-cache")
        write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), false)
        timer = loop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.interval) { _ in
            // One `data:` line: the JSON has no newlines.
            write(.body(.byteBuffer(ByteBuffer(string: "data: \(snapshot())\n\n"))), true)
        }
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }
}
