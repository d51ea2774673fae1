import Logging
import MediaGraph
import NIOCore
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#endif

/// One Twilio Media Streams WebSocket: parses what Twilio sends, feeds the call's uplink ring, and
/// sends the call's downlink audio back (shared/protocols.md §1).
///
/// Lifecycle: `awaitingStart` → (`start`) `active` → (`stop` or socket close) `ending` → (media
/// thread retired the call) `finished`. Every per-call resource (graph, rings, eventfd, registry
/// entry) is released on the way to `finished`, whichever way the call ends.
///
/// Reactions to bad input (docs/twilio.md lists them): a malformed or out-of-order message is
/// rejected (logged, counted by reason) and the call goes on; an unsupported media format closes
/// the socket with 1003; unknown events are counted and ignored.
///
/// - Threading: every method runs on the channel's event loop.
/// - Ownership: owns the ``CallPipeline`` until it is retired; registered with its loop's
///   ``EventLoopCalls`` meanwhile, which hands it the media thread's announcements.
/// - Realtime: not a media-thread type; the per-`media` path does not allocate apart from NIO's
///   unmasking of the frame.
final class TwilioSession: ChannelInboundHandler, DoorbellListener {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// What a session needs from the server.
    struct Environment {
        var registry: CallRegistry
        var stats: BridgeStats
        var pool: MediaThreadPool
        var loops: EventLoopCallsDirectory
        var graph: GraphSpec
        var callConfiguration: CallPipeline.Configuration
        var logger: Logger
    }

    private final class ActiveCall {
        let record: CallRecord
        let pipeline: CallPipeline
        let thread: MediaThread
        let loopCalls: EventLoopCalls
        let outbound: TwilioOutbound
        let streamSid: [UInt8]
        var timeline: MediaTimeline
        var logger: Logger
        var endReason = ""

        init(record: CallRecord, pipeline: CallPipeline, thread: MediaThread, loopCalls: EventLoopCalls, logger: Logger) {
            self.record = record
            self.pipeline = pipeline
            self.thread = thread
            self.loopCalls = loopCalls
            self.logger = logger
            outbound = TwilioOutbound(streamSid: record.streamSid)
            streamSid = Array(record.streamSid.utf8)
            timeline = MediaTimeline(bytesPerMs: pipeline.graph.providerFormat.bytesPerFrame / AudioFormat.frameDurationMs)
        }
    }

    private enum State {
        case awaitingStart
        case active(ActiveCall)
        case ending(ActiveCall)
        case finished
    }

    /// Decoded payload bytes are staged here in pieces (a multiple of 3 bytes ↔ 4 characters).
    private static let decodeChunkCharacters = 960
    /// Frames per outbound `media` message at most (200 ms): one normally, more after a stall.
    private static let maxFramesPerMessage = 10
    /// Rejections and unknown events logged at warning level per socket; later ones at debug.
    private static let loudLogLimit = 5
    /// The `customParameters` key with which a call picks its graph.
    static let graphParameter = "graph"

    private let environment: Environment
    private let parser = TwilioMessageParser()
    private let decodeScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: decodeChunkCharacters / 4 * 3, alignment: 16)
    private var sendScratch: UnsafeMutableRawBufferPointer?
    private var state = State.awaitingStart
    private var context: ChannelHandlerContext?
    private var logger: Logger
    private var loudLogs = 0

    init(environment: Environment) {
        self.environment = environment
        logger = environment.logger
    }

    deinit {
        decodeScratch.deallocate()
        sendScratch?.deallocate()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        environment.stats.connectionsOpen.wrappingIncrement(ordering: .relaxed)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endCall(reason: "closed without stop")
        self.context = nil
        environment.stats.connectionsOpen.wrappingDecrement(ordering: .relaxed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endCall(reason: "closed without stop")
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case let .active(call) = state, context.channel.isWritable { sendDownlink(call) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("socket error, closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            frame.unmaskedData.withUnsafeReadableBytes { handleText($0) }
        case .binary:
            reject(.binaryFrame)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            endCall(reason: "closed without stop")
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
                .whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    private func handleText(_ bytes: UnsafeRawBufferPointer) {
        let arrival = MediaClock.nanos()
        let event: TwilioEvent
        do {
            event = try parser.parse(bytes)
        } catch {
            reject(error)
            return
        }
        switch (event, state) {
        case let (.media(media), .active(call)):
            handleMedia(media, call: call, arrival: arrival)
        case let (.start(start), .awaitingStart):
            handleStart(start)
        case (.start, .active), (.start, .ending):
            reject(.secondStart)
        case let (.mark(name), .active(call)):
            call.logger.debug("mark returned", metadata: ["name": "\(name)"])
        case let (.dtmf(digit), .active(call)):
            environment.stats.dtmfDigits.wrappingIncrement(ordering: .relaxed)
            call.logger.info("dtmf", metadata: ["digit": "\(digit)"])
        case (.stop, .active):
            endCall(reason: "stop")
        case (.connected, _):
            logger.debug("connected")
        case let (.unknown(name), _):
            environment.stats.unknownEvents.wrappingIncrement(ordering: .relaxed)
            log("unknown event ignored", ["event": "\(name)"])
        case (_, .awaitingStart):
            reject(.beforeStart(event: event.name))
        case (_, .ending), (_, .finished):
            reject(.afterStop(event: event.name))
        }
    }

    private func handleMedia(_ media: TwilioMedia, call: ActiveCall, arrival: UInt64) {
        guard media.streamSid.elementsEqual(call.streamSid) else {
            reject(.wrongStreamSid)
            return
        }
        let payloadBytes = Base64.decodedCount(media.payload)
        let gapMs = call.timeline.advance(timestampMs: media.timestampMs, payloadBytes: payloadBytes)
        if gapMs > 0 {
            let frames = call.pipeline.writeUplinkSilence(milliseconds: gapMs, arrivalNanos: arrival)
            environment.stats.silenceFramesInserted.wrappingIncrement(by: UInt64(frames), ordering: .relaxed)
            call.logger.debug("timestamp gap filled with silence", metadata: ["gap_ms": "\(gapMs)", "frames": "\(frames)"])
        }
        var dropped = 0
        var offset = 0
        let text = media.payload
        while offset < text.count {
            let end = min(offset + Self.decodeChunkCharacters, text.count)
            // Validated as a whole by the parser, so every chunk decodes.
            let n = Base64.decode(UnsafeRawBufferPointer(rebasing: text[offset..<end]), into: decodeScratch) ?? 0
            dropped += call.pipeline.writeUplink(UnsafeRawBufferPointer(rebasing: decodeScratch[0..<n]), arrivalNanos: arrival)
            offset = end
        }
        environment.stats.framesIn.wrappingIncrement(by: UInt64(payloadBytes / call.pipeline.graph.providerFormat.bytesPerFrame), ordering: .relaxed)
        if dropped > 0 { environment.stats.framesDropped.wrappingIncrement(by: UInt64(dropped), ordering: .relaxed) }
        call.thread.requestWake()
    }

    private func handleStart(_ start: TwilioStart) {
        guard let context, let loopCalls = environment.loops[context.eventLoop] else { return }
        guard start.encoding == "audio/x-mulaw", start.sampleRateHz == 8000, start.channels == 1 else {
            reject(.unsupportedMediaFormat("\(start.encoding) \(start.sampleRateHz) Hz \(start.channels) ch"))
            close(code: .unacceptableData)
            return
        }
        let callID = environment.registry.makeCallID()
        var callLogger = environment.logger
        callLogger[metadataKey: "call"] = "\(callID)"
        let pipeline: CallPipeline
        let thread: MediaThread
        do {
            // A call may pick its graph: <Parameter name="graph" value="standard"/> (a preset or a spec).
            let spec = try start.customParameters[Self.graphParameter].map(GraphSpec.named) ?? environment.graph
            pipeline = try CallPipeline(callID: callID, spec: spec, providerFormat: .telephonyMuLaw,
                                        doorbell: loopCalls.doorbell, configuration: environment.callConfiguration)
            thread = try environment.pool.attach(pipeline)
        } catch let error as GraphBuildError {
            // VoicedServer built its own graph at start-up, so this one came from the call.
            reject(.badGraph(error.description))
            close(code: .policyViolation)
            return
        } catch {
            callLogger.error("call refused", metadata: ["error": "\(error)", "callSid": "\(start.callSid)"])
            close(code: .unexpectedServerError)
            return
        }
        let record = CallRecord(callID: callID, provider: "twilio", callSid: start.callSid, streamSid: start.streamSid,
                                accountSid: start.accountSid, customParameters: start.customParameters,
                                mediaThread: thread.index, startedNanos: MediaClock.nanos())
        let call = ActiveCall(record: record, pipeline: pipeline, thread: thread, loopCalls: loopCalls, logger: callLogger)
        logger = callLogger
        state = .active(call)
        loopCalls.add(callID, self)
        environment.registry.add(record)
        environment.stats.callsStarted.wrappingIncrement(ordering: .relaxed)
        sendScratch = .allocate(byteCount: pipeline.graph.providerFormat.bytesPerFrame * Self.maxFramesPerMessage, alignment: 16)
        callLogger.info("call started", metadata: [
            "callSid": "\(start.callSid)", "streamSid": "\(start.streamSid)", "graph": "\(pipeline.graph.spec.name)",
            "media_thread": "\(thread.index)", "parameters": "\(start.customParameters)",
        ])
    }

    // MARK: Outbound

    /// The media thread announced audio to send, or that it let go of the call.
    func doorbellRang(_ event: Doorbell.Event) {
        switch (state, event) {
        case let (.active(call), .ready):
            call.pipeline.acknowledgeWake()
            sendDownlink(call)
            call.pipeline.graph.events?.drain { event in handle(event, call: call) }
        case let (.ending(call), .retired):
            finishIfRetired(call)
        default:
            break
        }
    }

    /// Sends every ready downlink frame, as `media` messages of up to 200 ms, while the socket is
    /// writable (a slow peer leaves audio in the ring: back-pressure up to the media thread).
    private func sendDownlink(_ call: ActiveCall) {
        guard let context, let scratch = sendScratch else { return }
        var sent = 0
        while context.channel.isWritable {
            var used = 0
            let frames = call.pipeline.readDownlink(maxFrames: Self.maxFramesPerMessage) { bytes, _ in
                UnsafeMutableRawBufferPointer(rebasing: scratch[used..<(used + bytes.count)]).copyMemory(from: bytes)
                used += bytes.count
            }
            guard frames > 0 else { break }
            let message = call.outbound.media(UnsafeRawBufferPointer(rebasing: scratch[0..<used]), allocator: context.channel.allocator)
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: message)), promise: nil)
            sent += frames
        }
        if sent > 0 {
            context.flush()
            environment.stats.framesOut.wrappingIncrement(by: UInt64(sent), ordering: .relaxed)
        }
    }

    /// What the graph's nodes noticed (barge-in will act on these).
    private func handle(_ event: MediaEvent, call: ActiveCall) {
        switch event {
        case let .speechStarted(ms):
            environment.stats.speechStarts.wrappingIncrement(ordering: .relaxed)
            call.logger.debug("caller speech started", metadata: ["media_ms": "\(ms)"])
        case let .speechStopped(ms):
            call.logger.debug("caller speech stopped", metadata: ["media_ms": "\(ms)"])
        case let .bargeIn(ms):
            environment.stats.bargeIns.wrappingIncrement(ordering: .relaxed)
            call.logger.info("barge-in", metadata: ["media_ms": "\(ms)"])
        }
    }

    // MARK: Ending

    /// Ends the call (idempotent): the media thread is asked to let go; its `.retired` announcement
    /// completes the call in `finishIfRetired`.
    private func endCall(reason: String) {
        switch state {
        case .awaitingStart:
            state = .finished
        case let .active(call):
            call.endReason = reason
            state = .ending(call)
            call.thread.detach(call.pipeline)
            finishIfRetired(call)
        case .ending, .finished:
            break
        }
    }

    /// Releases everything once the media thread retired the call.
    private func finishIfRetired(_ call: ActiveCall) {
        guard case .ending = state, call.pipeline.isRetired else { return }
        state = .finished
        call.loopCalls.remove(call.record.callID)
        let pipeline = call.pipeline
        environment.stats.merge(pipeline)
        let drops = pipeline.uplinkDrops + pipeline.downlinkDrops
        environment.stats.framesDropped.wrappingIncrement(by: pipeline.downlinkDrops, ordering: .relaxed)
        environment.stats.callsEnded.wrappingIncrement(ordering: .relaxed)
        environment.registry.remove(call.record.callID)
        let latency = pipeline.serverLatency
        var readings: Logger.Metadata = [:]
        if let events = pipeline.graph.events { readings["events_dropped"] = "\(events.dropped)" }
        for meter in pipeline.graph.levelMeters {
            readings["\(meter.name)_rms"] = "\(Int(meter.averageRMS))"
            readings["\(meter.name)_clipped"] = "\(meter.clippedSamples)"
            environment.stats.clippedSamples.wrappingIncrement(by: meter.clippedSamples, ordering: .relaxed)
        }
        call.logger.info("call ended", metadata: readings.merging([
            "reason": "\(call.endReason)",
            "frames": "\(pipeline.framesProcessed)",
            "dropped": "\(drops)",
            "seconds": "\(Double(MediaClock.nanos() - call.record.startedNanos) / 1e9)",
            "latency_p50_us": "\(Double(latency.nanos(atPercentile: 50)) / 1000)",
            "latency_p99_us": "\(Double(latency.nanos(atPercentile: 99)) / 1000)",
        ]) { $1 })
    }

    // MARK: Errors

    private func reject(_ error: ProviderProtocolError) {
        environment.stats.rejected(error)
        log("message rejected", ["reason": "\(error)"])
    }

    /// Warning for the first few per socket, debug after, so a flood cannot flood the log.
    private func log(_ message: Logger.Message, _ metadata: Logger.Metadata) {
        loudLogs += 1
        if loudLogs <= Self.loudLogLimit {
            logger.warning(message, metadata: metadata)
        } else {
            logger.debug(message, metadata: metadata)
        }
    }

    private func close(code: WebSocketErrorCode) {
        guard let context else { return }
        endCall(reason: "closed by voiced (\(code))")
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in context.close(promise: nil) }
    }
}
