import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real nginx (Debian's, which .ci/run installs) on loopback running the shipped
/// deploy/nginx/voiced.conf in front of the given voiced instances: the file's example upstreams and
/// port are replaced by the test's, everything else is used as shipped.
///
/// - Threading: any thread.
/// - Ownership: owns the nginx process and its temporary directory; `stop()` ends both.
public final class NginxProxy: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    private let process: Process
    private let directory: URL

    /// Starts nginx in front of `upstreams` (voiced ports) and waits until it answers `/health`.
    public init(upstreams: [Int]) async throws {
        let shipped = try String(contentsOf: TestSpeech.repositoryRoot.appendingPathComponent("deploy/nginx/voiced.conf"), encoding: .utf8)
        port = try FreePort.find()
        var site = shipped
        let examples = ["127.0.0.1:8081", "127.0.0.1:8082"]
        guard upstreams.count == examples.count, examples.allSatisfy({ site.contains("server \($0) ") }), site.contains("listen 8080;") else {
            throw Failure(description: "deploy/nginx/voiced.conf no longer has the example upstreams \(examples) and 'listen 8080;' this test replaces")
        }
        for (example, upstream) in zip(examples, upstreams) { site = site.replacingOccurrences(of: "server \(example) ", with: "server 127.0.0.1:\(upstream) ") }
        site = site.replacingOccurrences(of: "listen 8080;", with: "listen 127.0.0.1:\(port);")

        directory = FileManager.default.temporaryDirectory.appendingPathComponent("voiced-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        try site.write(to: directory.appendingPathComponent("voiced.conf"), atomically: true, encoding: .utf8)
        let main = """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes 1;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log \(dir)/access.log;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                include \(dir)/voiced.conf;
            }
            """
        try main.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)

        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw Failure(description: "nginx is not installed (apt-get install nginx-light; .ci/run does)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-p", dir, "-c", "\(dir)/nginx.conf", "-g", "daemon off;"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let health = try? await RawSocket.request(port: port, path: "/health"), health.status == 200 { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "nginx did not start: \(log)")
    }

    /// The requests nginx logged (its access log), one line each.
    public var accessLog: [String] {
        ((try? String(contentsOf: directory.appendingPathComponent("access.log"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
