import Atomics
import Foundation
import Logging
import MediaGraph
import NIOConcurrencyHelpers

/// The thread that writes every recorded call's file: every 50 ms it takes what each call's media
/// thread put in its ``RecordingTap`` and encodes the slots that are final (``CallRecorder``); a call
/// that ended is written out and its file closed. Opening, encoding and closing files all happen
/// here — never on an event loop or a media thread.
///
/// - Threading: `open`/`close` from any thread (the event loops), through a locked command list;
///   recorders live on the writer's thread only.
/// - Ownership: owns its thread from init until `stop()`, which finishes every open recording.
public final class RecordingWriter: @unchecked Sendable {
    // @unchecked Sendable: `recorders` is touched only on the writer's thread; the rest is locked or atomic.

    static let tick: UInt32 = 50_000  // µs

    public let settings: RecordingSettings
    /// Recordings finished, and recordings that could not be made (their calls go on unrecorded).
    public let finished = ManagedAtomic<UInt64>(0)
    public let failures = ManagedAtomic<UInt64>(0)

    private enum Command {
        case open(RecordingTap, path: String, title: String)
        case close(RecordingTap)
    }

    private let commands = NIOLockedValueBox<[Command]>([])
    private let stopping = ManagedAtomic<Bool>(false)
    private let stopped = NIOLockedValueBox(false)
    private var recorders: [ObjectIdentifier: CallRecorder] = [:]
    private let logger: Logger
    private var thread: Thread?

    /// Creates the directory when absent and starts the thread. Throws naming the directory.
    init(settings: RecordingSettings, logger: Logger) throws {
        do {
            try FileManager.default.createDirectory(atPath: settings.directory, withIntermediateDirectories: true)
        } catch {
            throw RecordingError(description: "cannot create the recordings directory \(settings.directory): \(error.localizedDescription)")
        }
        guard FileManager.default.isWritableFile(atPath: settings.directory) else {
            throw RecordingError(description: "the recordings directory \(settings.directory) is not writable")
        }
        self.settings = settings
        self.logger = logger
        let thread = Thread { [self] in run() }
        thread.name = "voiced-recordings"
        self.thread = thread
        thread.start()
    }

    /// Starts recording `tap`'s call into a new file; returns its path.
    func open(_ tap: RecordingTap, callID: UInt64, provider: String, startedAt: Date) -> String {
        let stamp = EndedCall.timestamp(startedAt).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: ".", with: "-")
        let path = (settings.directory as NSString).appendingPathComponent("\(stamp)-\(provider)-\(callID).opus")
        commands.withLockedValue { $0.append(.open(tap, path: path, title: "voiced call \(callID) (\(provider))")) }
        return path
    }

    /// The call retired: its file is written out and closed.
    func close(_ tap: RecordingTap) {
        commands.withLockedValue { $0.append(.close(tap)) }
    }

    /// Finishes every open recording and ends the thread; waits for it.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        while !stopped.withLockedValue({ $0 }) { usleep(Self.tick) }
    }

    private func run() {
        while true {
            let last = stopping.load(ordering: .relaxed)
            for command in commands.withLockedValue({ list in defer { list.removeAll() }; return list }) {
                switch command {
                case let .open(tap, path, title):
                    do {
                        recorders[ObjectIdentifier(tap)] = try CallRecorder(path: path, tap: tap, title: title)
                    } catch {
                        failures.wrappingIncrement(ordering: .relaxed)
                        logger.error("call not recorded", metadata: ["error": "\(error)"])
                    }
                case let .close(tap):
                    recorders.removeValue(forKey: ObjectIdentifier(tap)).map(finish)
                }
            }
            for recorder in recorders.values { recorder.service() }
            if last {
                recorders.values.forEach(finish)
                recorders.removeAll()
                stopped.withLockedValue { $0 = true }
                return
            }
            usleep(Self.tick)
        }
    }

    private func finish(_ recorder: CallRecorder) {
        recorder.finish()
        finished.wrappingIncrement(ordering: .relaxed)
        if recorder.tap.dropped > 0 {
            logger.warning("recording has gaps: frames dropped", metadata: ["path": "\(recorder.path)", "frames": "\(recorder.tap.dropped)"])
        }
    }
}
