import Foundation

/// The `voiced` executable the test binary was built with (`swift build --build-tests` builds it
/// beside the tests), run as a user would run it.
public enum VoicedBinary {
    /// Where it is: next to the running test bundle.
    public static var path: String {
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = tests.deletingLastPathComponent()
        // Inside a bundle (`…/voicedPackageTests.xctest/…`) the products folder is the bundle's parent.
        while folder.path.contains(".xctest") { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("voiced").path
    }

    /// What a run printed and how it ended.
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let errors: String
    }

    /// Runs `voiced ARGUMENTS…` to the end, with `environment` added to this process's.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        // Standard error to a file, standard output through a pipe read to its end before waiting
        // (so a full pipe never blocks the child).
        let errorsPath = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-stderr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: errorsPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorsPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        try process.run()
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      errors: (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "")
    }
}
