import Foundation
import MediaGraph

/// One WAV file through a graph, frame by frame on this thread, exactly as a call's media thread
/// would run it: the file is the provider's audio (the uplink); the downlink plays a far end (the
/// agent's audio) or, without one, the uplink's own output back (the echo agent). Events are
/// drained after every frame, as on a call.
///
/// - Threading: one thread; the graph is built and run here.
struct OfflineRun {
    /// What the agent heard (the uplink's output) and what the caller heard (the downlink's), when asked.
    var agentAudio: [UInt8] = []
    var callerAudio: [UInt8] = []
    var events: [MediaEvent] = []
    /// Frames run (every pass).
    var frames = 0
    /// This thread's CPU time over the run.
    var cpuNanos: UInt64 = 0
    let graph: Graph

    /// The provider format a WAV file is read as: μ-law (format 7) or 16-bit PCM, mono.
    static func providerFormat(of wav: WAVFile) throws -> AudioFormat {
        guard wav.channels == 1, wav.formatTag == 7 || (wav.formatTag == 1 && wav.bitsPerSample == 16),
              AudioFormat.commonRatesHz.contains(wav.sampleRateHz) else {
            throw OfflineError("not mono μ-law or 16-bit PCM at \(AudioFormat.commonRatesHz.map(String.init).joined(separator: ", ")) Hz "
                + "(format \(wav.formatTag), \(wav.bitsPerSample)-bit, \(wav.channels) channels, \(wav.sampleRateHz) Hz)")
        }
        return AudioFormat(encoding: wav.formatTag == 7 ? .mulaw : .pcm16, sampleRateHz: wav.sampleRateHz)
    }

    /// Runs `wav` through a graph built from `spec` and `nodes`. `keepAudio`: collect both outputs.
    init(wav: WAVFile, spec: GraphSpec, agent: AgentAudio, nodes: NodeCatalog, farEnd: [UInt8]?,
         passes: Int, keepAudio: Bool) throws {
        let provider = try Self.providerFormat(of: wav)
        do {
            graph = try Graph(spec: spec, providerFormat: provider, agent: agent, nodes: nodes)
        } catch {
            throw OfflineError("graph \(spec.name): \(error)")
        }
        let frameBytes = provider.bytesPerFrame
        let count = wav.data.count / frameBytes
        guard count > 0 else { throw OfflineError("holds no whole 20 ms frame") }
        let started = Self.threadCPUNanos()
        for pass in 0..<passes {
            for index in 0..<count {
                let reply = wav.data.withUnsafeBytes { all in
                    graph.runUplink(arrivalNanos: 0) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[(index * frameBytes)...].prefix(frameBytes))) }
                }
                let heard = graph.runDownlink(arrivalNanos: 0) { bytes in
                    guard let farEnd else { return bytes.copyMemory(from: UnsafeRawBufferPointer(reply.pointee.bytes)) }
                    farEnd.withUnsafeBytes { all in
                        // Past the end of the far-end file the agent is silent.
                        let chunk = UnsafeRawBufferPointer(rebasing: all[min(index * bytes.count, all.count)...].prefix(bytes.count))
                        bytes.copyMemory(from: chunk)
                        UnsafeMutableRawBufferPointer(rebasing: bytes[chunk.count...]).initializeMemory(as: UInt8.self, repeating: 0)
                    }
                }
                // Drained every frame, as on a call (the lane is bounded); kept from the first pass.
                graph.events.drain { event in if pass == 0 { events.append(event) } }
                guard pass == 0, keepAudio else { continue }
                agentAudio += reply.pointee.bytes
                callerAudio += heard.pointee.bytes
            }
        }
        frames = count * passes
        cpuNanos = Self.threadCPUNanos() - started
    }

    private static func threadCPUNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Why a file could not be run (said with the file's name).
struct OfflineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
