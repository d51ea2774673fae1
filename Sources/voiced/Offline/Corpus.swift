import Foundation

/// The WAV files `voiced process --input` names: files, every `.wav` in a folder (sorted, not
/// descending into sub-folders), or a list file (`.txt` or `.list`: one path per line, relative to
/// the list's folder; blank lines and `#` comments skipped).
///
/// - Threading: plain functions; any thread.
enum Corpus {
    /// The files `inputs` name, in order, each once. A path that does not exist is kept: reading it
    /// fails later, with its name, after the rest ran.
    static func files(_ inputs: [String]) throws -> [String] {
        var files: [String] = []
        for input in inputs {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isFolder), isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: input)
                files += names.filter { $0.lowercased().hasSuffix(".wav") }.sorted().map { (input as NSString).appendingPathComponent($0) }
            } else if input.hasSuffix(".txt") || input.hasSuffix(".list") {
                let text = try String(contentsOfFile: input, encoding: .utf8)
                let folder = (input as NSString).deletingLastPathComponent
                for line in text.split(whereSeparator: \.isNewline) {
                    let path = line.trimmingCharacters(in: .whitespaces)
                    guard !path.isEmpty, !path.hasPrefix("#") else { continue }
                    files.append(path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path))
                }
            } else {
                files.append(input)
            }
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }
}
