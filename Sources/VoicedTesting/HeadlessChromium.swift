import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket

/// Debian's Chromium, headless, as a real browser for the dashboard's test (.ci/run installs it),
/// driven over the Chrome DevTools Protocol: it opens a page, the test evaluates JavaScript in it
/// (waiting for what a person would see) and takes screenshots.
///
/// - Threading: one test task at a time.
/// - Ownership: owns the browser process and its profile directory; `stop()` ends both.
public final class HeadlessChromium: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    private let process: Process
    private let profile: URL
    private let client: WebSocketClient
    /// DevTools replies by command id, as received.
    private let replies: NIOLockedValueBox<[Int: Data]>
    private let nextID = NIOLockedValueBox(0)

    /// Starts Chromium showing `url` in a `width`×`height` window.
    public init(url: String, width: Int = 1280, height: Int = 900) async throws {
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw Failure(description: "chromium is not installed (apt-get install chromium; .ci/run does)") }
        let port = try FreePort.find()
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-chromium-\(UUID().uuidString)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        // Root in CI needs --no-sandbox; /dev/shm is small in containers.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--remote-debugging-port=\(port)", "--window-size=\(width),\(height)",
                             "--hide-scrollbars", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // The page's DevTools socket, from the browser's target list.
        var socketPath: String?
        for _ in 0..<200 where socketPath == nil {
            if let list = try? await RawSocket.request(port: port, path: "/json/list"),
               let targets = try? JSONSerialization.jsonObject(with: Data(list.body)) as? [[String: Any]],
               let page = targets.first(where: { $0["type"] as? String == "page" }),
               let address = page["webSocketDebuggerUrl"] as? String, let range = address.range(of: "/devtools/") {
                socketPath = String(address[range.lowerBound...])
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        guard let socketPath else {
            process.terminate()
            throw Failure(description: "chromium's DevTools did not answer on port \(port)")
        }
        let replies = NIOLockedValueBox<[Int: Data]>([:])
        self.replies = replies
        client = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: socketPath, group: MultiThreadedEventLoopGroup.singleton) { frame in
            let data = Data(frame.unmaskedData.readableBytesView)
            guard frame.opcode == .text, let message = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let id = message["id"] as? Int else { return }
            replies.withLockedValue { $0[id] = data }
        }
    }

    /// Sends one DevTools command and waits for its result.
    private func command(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        let id = nextID.withLockedValue { $0 += 1; return $0 }
        let data = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters])
        client.send(text: String(decoding: data, as: UTF8.self))
        for _ in 0..<1000 {
            if let data = replies.withLockedValue({ $0.removeValue(forKey: id) }),
               let reply = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure(description: "\(method): no answer in 10 s")
    }

    /// The value of JavaScript `expression` in the page, as a string.
    public func evaluate(_ expression: String) async throws -> String {
        let result = try await command("Runtime.evaluate", ["expression": "String(\(expression))", "returnByValue": true])
        return ((result["result"] as? [String: Any])?["value"] as? String) ?? ""
    }

    /// Waits until JavaScript `condition` is true in the page (polled), or `timeout` passes.
    public func wait(until condition: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await evaluate("!!(\(condition))") != "true" {
            guard ContinuousClock.now < deadline else { throw Failure(description: "the page never showed \(condition)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The page as a PNG.
    public func screenshot() async throws -> Data {
        let result = try await command("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        return png
    }

    public func stop() async {
        await client.close()
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
    }
}
