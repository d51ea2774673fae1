import Foundation

/// The WAV files `voiced process --input` names: files, every `.wav` in a folder (sorted, not
/// descending into sub-folders), or a list file (`.txt` or `.list`: one path per line — a file or a
/// folder —, relative to the list's folder; blank lines and `#` comments skipped).
///
/// - Threading: plain functions; any thread.
enum Corpus {
    /// The files `inputs` name, in order, each once. A WAV path that does not exist is kept:
    /// reading it fails later, with its name, after the rest ran. A list file that cannot be read
    /// is an error naming it.
    static func files(_ inputs: [String]) throws -> [String] {
        var files: [String] = []
        for input in inputs {
            var isFolder: ObjCBool = false
            let lowered = input.lowercased()
            if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: input)
                files += names.filter { $0.lowercased().hasSuffix(".wav") }.sorted().map { (input as NSString).appendingPathComponent($0) }
            } else if lowered.hasSuffix(".txt") || lowered.hasSuffix(".list") {
                let text: String
                do {
                    text = try String(contentsOfFile: input, encoding: .utf8)
                } catch {
                    throw OfflineError("list file \(input) cannot be read: \(error.localizedDescription)")
                }
                let folder = (input as NSString).deletingLastPathComponent
                let entries = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                    let path = line.trimmingCharacters(in: .whitespaces)
                    guard !path.isEmpty, !path.hasPrefix("#") else { return nil }
                    return path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path)
                }
                // Folders named in a list are read as folders; a list never names another list.
                files += try entries.flatMap { entry in
                    let lowered = entry.lowercased()
                    return lowered.hasSuffix(".txt") || lowered.hasSuffix(".list") ? [entry] : try Self.files([entry])
                }
            } else {
                files.append(input)
            }
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }
}
