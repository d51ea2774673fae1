import Foundation

/// Reads a process's CPU time and resident memory from `/proc`.
///
/// - Threading: stateless; any thread.
/// - Ownership: returns values.
/// - Realtime: unsafe (reads files, allocates); load-generator code only.
enum ProcessSampler {
    /// utime + stime of `pid`, in seconds.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmRSS of `pid`, in bytes.
    static func rssBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }

    /// This process's user + system CPU seconds.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}


extension ProcessSampler {
    /// utime + stime of each thread of `pid` (`/proc/PID/task/*/stat`), in seconds, by thread id,
    /// with the thread's name (`comm`).
    static func threadCPUSeconds(_ pid: Int32) -> [Int32: (name: String, seconds: Double)] {
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [:] }
        var out: [Int32: (name: String, seconds: Double)] = [:]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for tid in tids.compactMap({ Int32($0) }) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            out[tid] = (name, (user + system) / ticks)
        }
        return out
    }
}
