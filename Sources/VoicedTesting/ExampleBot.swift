import Foundation
import NIOConcurrencyHelpers

/// Examples/bot/bot.py running as a real process on loopback (python3 with `websockets`, which
/// scripts/install-deps installs), with what it prints collected for assertions.
///
/// - Threading: any thread; the printed lines are kept under a lock.
public final class ExampleBot: Sendable {
    public enum BotError: Error, CustomStringConvertible {
        case didNotStart(String)
        public var description: String {
            switch self {
            case let .didNotStart(output): "Examples/bot/bot.py did not start (is `pip install websockets` done?): \(output)"
            }
        }
    }

    public let port: Int
    private let process: Process
    /// Everything the bot printed (stdout and stderr).
    private let output: NIOLockedValueBox<String>

    /// Starts the bot speaking `dialect` (`voiced.v1` or `twilio`) on a free port.
    public init(dialect: String = "voiced.v1") async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", TestSpeech.repositoryRoot.appendingPathComponent("Examples/bot/bot.py").path,
                             "--port", "0", "--dialect", dialect]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = NIOLockedValueBox("")
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // End of file: the process is gone; stop being called (an empty read repeats forever).
            guard !data.isEmpty else { return handle.readabilityHandler = nil }
            output.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        self.process = process
        self.output = output
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = Self.lines(of: output).lazy.compactMap { $0.hasPrefix("listening on ") ? Int($0.dropFirst(13)) : nil }.first
            if port == nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        guard let port else {
            process.terminate()
            throw BotError.didNotStart(output.withLockedValue { $0 })
        }
        self.port = port
    }

    public var url: String { "ws://127.0.0.1:\(port)" }

    /// Every whole line the bot printed so far.
    public var lines: [String] { Self.lines(of: output) }

    private static func lines(of output: NIOLockedValueBox<String>) -> [String] {
        output.withLockedValue { text in text.split(separator: "\n").dropLast(text.hasSuffix("\n") ? 0 : 1).map(String.init) }
    }

    /// Waits until the bot printed a line starting with `prefix` (or `timeout` passed); returns it.
    public func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(10)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let late = ContinuousClock.now >= deadline
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if late { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Ends the bot (SIGTERM; it exits at once).
    public func stop() { process.terminate() }
}
