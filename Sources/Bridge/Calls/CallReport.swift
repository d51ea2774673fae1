import Foundation
import Logging
import MediaGraph

/// The end of a call in numbers: folded into the daemon's ``BridgeStats`` (counted by provider and
/// ``CallEndReason``) and written as the one `call ended` log line (reason, frames each way, drops,
/// latency, barge-ins, level meters).
///
/// - Threading: made and filed on the call's event loop once the media thread retired the call
///   (its histograms are then safe to read).
struct CallReport {
    let session: CallSession
    let end: CallEnd
    let bargeIns: Int

    /// How long the call lasted, from its `start`.
    var seconds: Double { Double(MediaClock.nanos() - session.record.startedNanos) / 1e9 }

    func file(stats: BridgeStats, logger: Logger) {
        let pipeline = session.pipeline
        stats.merge(pipeline)
        stats.callsEnded.wrappingIncrement(ordering: .relaxed)
        stats.ended(provider: session.record.call.provider, end.reason)
        var metadata: Logger.Metadata = [
            "reason": "\(end.reason)",
            "detail": .wire(end.detail, limit: 300),
            "uplink_frames": "\(pipeline.uplinkFrames)",
            "downlink_frames": "\(pipeline.downlinkFrames)",
            "dropped": "\(pipeline.providerInDrops)",
            "flushed": "\(pipeline.flushedFrames)",
            "barge_ins": "\(bargeIns)",
            "seconds": "\(seconds)",
            "uplink_p50_us": "\(Self.micros(pipeline.uplinkLatency, 50))",
            "uplink_p99_us": "\(Self.micros(pipeline.uplinkLatency, 99))",
            "downlink_p50_us": "\(Self.micros(pipeline.downlinkLatency, 50))",
            "downlink_p99_us": "\(Self.micros(pipeline.downlinkLatency, 99))",
            "events_dropped": "\(pipeline.graph.events.dropped)",
        ]
        for meter in pipeline.graph.levelMeters {
            metadata["\(meter.name)_rms"] = "\(Int(meter.averageRMS))"
            metadata["\(meter.name)_clipped"] = "\(meter.clippedSamples)"
            stats.clippedSamples.wrappingIncrement(by: meter.clippedSamples, ordering: .relaxed)
        }
        logger.info("call ended", metadata: metadata)
    }

    /// The call's row in the records.
    func endedCall(server: String) -> EndedCall {
        let pipeline = session.pipeline, record = session.record, live = session.live
        let durationMs = Int(seconds * 1000)
        return EndedCall(
            server: server, callID: record.callID, provider: record.call.provider, providerCallID: record.call.callID,
            streamID: record.call.streamID, agent: live.agent, graph: live.graph, from: record.call.from, to: record.call.to,
            customParameters: record.call.customParameters, startedAt: EndedCall.timestamp(record.startedAt),
            endedAt: EndedCall.timestamp(record.startedAt.addingTimeInterval(Double(durationMs) / 1000)), durationMs: durationMs,
            endReason: end.reason.rawValue, endDetail: end.detail, framesIn: pipeline.uplinkFrames, framesOut: pipeline.downlinkFrames,
            framesDropped: pipeline.providerInDrops, uplinkP50Us: Self.micros(pipeline.uplinkLatency, 50),
            uplinkP99Us: Self.micros(pipeline.uplinkLatency, 99), downlinkP50Us: Self.micros(pipeline.downlinkLatency, 50),
            downlinkP99Us: Self.micros(pipeline.downlinkLatency, 99), bargeIns: bargeIns,
            bargeInReactionMs: session.bargeInReactionsMs, recording: session.recordingPath)
    }

    private static func micros(_ histogram: LatencyHistogram, _ percentile: Double) -> Double {
        Double(histogram.nanos(atPercentile: percentile)) / 1000
    }
}
