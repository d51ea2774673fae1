import Logging
import MediaGraph
import NIOCore
import NIOWebSocket

/// One provider media WebSocket: WebSocket control (ping, close, errors), the provider's
/// ``ProviderDialect``, and the call's ``CallSession`` once the provider sends `start`.
///
/// Lifecycle: `awaitingStart` (the call is `connecting`) → (`start`) `active` → (`stop`, socket
/// close, agent failure, idle, a limit) `ended`, with exactly one ``CallEndReason``: the session's,
/// or, for a socket that never started a call, counted here. The session outlives the socket until
/// its media thread retired the call; every per-call resource is released whichever way the call
/// ends.
///
/// Reactions to bad input (docs/twilio.md and docs/providers.md list them): a malformed or out-of-order message is
/// rejected (logged, counted by reason) and the call goes on; text that is not UTF-8 closes the
/// socket with 1007, an unsupported media format with 1003, a graph or agent the server does not
/// have with 1008, no capacity left for the call's graph with 1013; a client's close is answered
/// with its own code (1002 for a code the RFC keeps off the wire); unknown events are counted and
/// ignored. Timeouts and the message rate are ``MediaSocketLimits``'; a limit that runs out ends
/// the call and closes the socket (counted in `/stats` → `limitClosures`).
///
/// - Threading: every method runs on the channel's event loop.
/// - Ownership: owns the dialect; holds the session while the call is active.
/// - Realtime: not a media-thread type.
final class ProviderSocket: ChannelInboundHandler, ProviderOutput {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case awaitingStart
        case active(CallSession)
        case ended
    }

    /// Rejections and unknown events logged at warning level per socket; later ones at debug.
    private static let loudLogLimit = 5

    private let environment: CallEnvironment
    private let dialect: ProviderDialect
    private let verified: Bool
    private var state = State.awaitingStart
    private var context: ChannelHandlerContext?
    private var logger: Logger
    private var loudLogs = 0
    private var limits: MediaSocketLimits!

    /// `verified`: the upgrade request passed the provider's signature check (its calls may pick
    /// their graph and agent).
    init(dialect: ProviderDialect, verified: Bool, environment: CallEnvironment) {
        self.dialect = dialect
        self.verified = verified
        self.environment = environment
        logger = environment.logger
        logger[metadataKey: "provider"] = "\(dialect.name)"
        limits = MediaSocketLimits(limits: environment.limits, stats: environment.stats) { [weak self] kind, reason in
            self?.closeForLimit(kind, reason: reason)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        environment.stats.connectionsOpen.wrappingIncrement(ordering: .relaxed)
        limits.opened(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endCall(CallEnd(.callerHungUp, "closed without stop"))
        limits.closed()
        self.context = nil
        environment.stats.connectionsOpen.wrappingDecrement(ordering: .relaxed)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endCall(CallEnd(.callerHungUp, "closed without stop"))
        context.fireChannelInactive()
    }

    /// A provider that reads again gets what waits in the call's rings; one that stops reading for
    /// ``ConnectionLimits/writeStall`` loses its call (``MediaSocketLimits``).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        limits.writabilityChanged(context)
        if case let .active(session) = state, context.channel.isWritable { session.providerWritable() }
        context.fireChannelWritabilityChanged()
    }

    /// A message the frame aggregator could not put together fails the connection with its close
    /// code (1009 too big, 1002 out of order); any other error closes the socket.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("socket error, closing", metadata: ["error": "\(error)"])
        if let error = error as? NIOWebSocketFrameAggregator.Error {
            close(code: error.closeCode, CallEnd(.protocolError, "WebSocket error: \(error)"))
        } else {
            endCall(CallEnd(.protocolError, "socket error: \(error)"))
            context.close(promise: nil)
        }
    }

    // MARK: ProviderOutput

    func send(_ build: (ProviderDialect, ByteBufferAllocator) -> WebSocketMessage?) {
        guard let context, let message = build(dialect, context.channel.allocator) else { return }
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: message.isText ? .text : .binary, data: message.data)),
                      promise: nil)
    }

    func flush() { context?.flush() }

    var framing: OutboundFraming { dialect.framing }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let arrival = MediaClock.nanos()
        limits.messageArrived(context, atNanos: arrival)
        switch frame.opcode {
        case .text:
            frame.unmaskedData.withUnsafeReadableBytes { bytes in
                guard UTF8Validation.isValid(bytes) else {
                    reject(.badUTF8)
                    close(code: .dataInconsistentWithMessage, CallEnd(.protocolError, "text that is not UTF-8"))
                    return
                }
                handle(arrival) { () throws(ProviderProtocolError) in try dialect.parse(text: bytes) }
            }
        case .binary:
            frame.unmaskedData.withUnsafeReadableBytes { bytes in handle(arrival) { () throws(ProviderProtocolError) in try dialect.parse(binary: bytes) } }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            close(code: closeReply(to: frame.unmaskedData), CallEnd(.callerHungUp, "closed without stop"))
        default:
            break
        }
    }

    /// The code that answers the client's close (RFC 6455 §5.5.1): the client's own, 1000 when it sent
    /// none, 1002 for a 1-byte payload or a code §7.4 keeps off the wire, 1007 for a reason that is not
    /// UTF-8 (those three rejected).
    private func closeReply(to payload: ByteBuffer) -> WebSocketErrorCode {
        guard payload.readableBytes > 0 else { return .normalClosure }
        guard let code = payload.getInteger(at: payload.readerIndex, as: UInt16.self) else {
            reject(.badCloseCode(nil))
            return .protocolError
        }
        switch code {
        case 1000...1003, 1007...1014, 3000...4999:
            break
        default:
            reject(.badCloseCode(code))
            return .protocolError
        }
        guard payload.withUnsafeReadableBytes({ UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: $0.dropFirst(2))) }) else {
            reject(.badUTF8)
            return .dataInconsistentWithMessage
        }
        return WebSocketErrorCode(codeNumber: Int(code))
    }

    /// Parses one message that arrived at `arrival` with `parse` and acts on it.
    private func handle(_ arrival: UInt64, _ parse: () throws(ProviderProtocolError) -> ProviderEvent) {
        let event: ProviderEvent
        do {
            event = try parse()
        } catch {
            reject(error)
            return
        }
        switch (event, state) {
        case let (.media(media), .active(session)):
            session.providerMedia(media, arrivalNanos: arrival)
        case (.held, .active):
            break
        case let (.start(start), .awaitingStart):
            begin(start)
        case (.start, .active), (.start, .ended):
            reject(.secondStart)
        case let (.mark(name), .active(session)):
            session.markReturned(name)
        case let (.dtmf(digit), .active(session)):
            session.dtmf(digit)
        case (.stop, .active):
            endCall(CallEnd(.providerStop, "stop"))
        case (.connected, _):
            logger.debug("connected")
        case let (.acknowledged(name), _):
            logger.debug("provider acknowledged", metadata: ["event": .wire(name)])
        case let (.providerError(text), _):
            environment.stats.providerErrors.wrappingIncrement(ordering: .relaxed)
            log("the provider reports an error", ["error": .wire(text, limit: 300)])
        case let (.unknown(name), _):
            environment.stats.unknownEvents.wrappingIncrement(ordering: .relaxed)
            log("unknown event ignored", ["event": .wire(name)])
        case (_, .awaitingStart):
            reject(.beforeStart(event: event.name))
        case (_, .ended):
            reject(.afterStop(event: event.name))
        }
    }

    /// The provider's `start`: picks the agent and graph, builds the call, or refuses it.
    private func begin(_ start: ProviderCallStart) {
        guard let context, let loopCalls = environment.loops[context.eventLoop] else { return }
        let format: AudioFormat
        do {
            format = try dialect.accept(start)
        } catch {
            reject(error)
            close(code: .unacceptableData, CallEnd(.protocolError, "\(error)"))
            return
        }
        // A call may name its graph and agent (<Parameter name="graph" value="standard"/>) only when
        // its provider's request was verified, or the operator trusts every call.
        var choice = start
        if !verified, !environment.trustCallParameters {
            let asked = [GraphDirectory.parameter, AgentDirectory.parameter, RecordingSettings.parameter].filter { start.customParameters[$0] != nil }
            if !asked.isEmpty {
                logger.warning("call parameters ignored: the provider's request is not verified (configure its secret, or trust_call_parameters)",
                               metadata: ["parameters": "\(asked)"])
                for key in asked { choice.customParameters[key] = nil }
            }
        }
        do {
            let agent = try environment.agents.connector(for: choice)
            let agentName = environment.agents.profileName(for: choice)
            let spec = try environment.graphs.spec(for: choice, agent: agentName)
            // Refused before its graph is built (webrtc's set-up costs the event loop milliseconds):
            // a graph no media thread could ever hold (1008), or one none has room for now (1013).
            if let cost = environment.graphs.cost(of: spec, for: agent.audio, providerFormat: format) {
                guard cost <= environment.pool.budget else {
                    throw ProviderProtocolError.badGraph("'\(spec.name)' costs \(cost) instructions per frame, more than a media thread's whole budget")
                }
                try environment.pool.checkRoom(for: cost)
            }
            // Several upgrades may have raced for the last place, or the server began draining.
            guard environment.admission.admit() else {
                let refusal: CallAdmission.Refusal = environment.admission.isDraining ? .draining : .atMaxCalls
                environment.stats.refused(refusal)
                logger.warning("call refused: the server is at capacity", metadata: ["reason": "\(refusal)", "provider_call": .wire(start.callID)])
                close(code: WebSocketErrorCode(codeNumber: 1013), CallEnd(refusal == .draining ? .shutdown : .overCapacity, "refused at start: \(refusal)"))
                return
            }
            let session = try CallSession(start: start, providerFormat: format, spec: spec, agent: agent,
                                          agentName: agentName,
                                          recorded: environment.recordings.map { $0.settings.recordAll || choice.customParameters[RecordingSettings.parameter] == "true" } ?? false,
                                          provider: self,
                                          loopCalls: loopCalls, environment: environment)
            logger = session.logger
            state = .active(session)
            limits.started()
            session.hangUp = { [weak self] end in self?.close(code: end.reason == .shutdown ? .goingAway : .normalClosure, end) }
        } catch let error as ProviderProtocolError {
            reject(error)
            close(code: .policyViolation, CallEnd(.protocolError, "\(error)"))
        } catch let error as AgentDirectory.Refusal {
            reject(.badAgent(error.description))
            close(code: .policyViolation, CallEnd(.protocolError, error.description))
        } catch let error as MediaThreadError {
            // Every media thread's budget is spent (or its call table full): the server is at
            // capacity for this graph; the provider may try again (1013) or elsewhere.
            environment.stats.refused(error)
            logger.warning("call refused: the server is at capacity", metadata: ["reason": "\(error)", "provider_call": .wire(start.callID)])
            close(code: WebSocketErrorCode(codeNumber: 1013), CallEnd(.overCapacity, "refused at start: \(error)"))
        } catch {
            logger.error("call refused", metadata: ["error": "\(error)", "provider_call": .wire(start.callID)])
            close(code: .unexpectedServerError, CallEnd(.protocolError, "refused at start: \(error)"))
        }
    }

    // MARK: Ending

    /// A limit of ``ConnectionLimits`` ran out: counted, logged, the call ended and the socket closed
    /// at once (a close frame could not reach a provider that stopped reading).
    private func closeForLimit(_ kind: String, reason: String) {
        environment.stats.closedByLimit(kind)
        logger.warning("media socket over a limit, closing", metadata: ["limit": "\(kind)", "reason": "\(reason)"])
        let endReason: CallEndReason = switch kind {
        case "start": .idleTimeout
        case "write_stall": .providerStalled
        default: .protocolError
        }
        endCall(CallEnd(endReason, reason))
        context?.close(promise: nil)
    }

    /// Ends the call with its one reason: the session's, or, for a socket that never started a
    /// call, counted here. Later calls change nothing.
    private func endCall(_ end: CallEnd) {
        switch state {
        case let .active(session): session.end(end)
        case .awaitingStart: environment.stats.ended(provider: dialect.name, end.reason)
        case .ended: break
        }
        state = .ended
    }

    // MARK: Errors

    private func reject(_ error: ProviderProtocolError) {
        environment.stats.rejected(error)
        log("message rejected", ["reason": .wire(error.description, limit: 300)])
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

    private func close(code: WebSocketErrorCode, _ end: CallEnd) {
        guard let context else { return }
        endCall(end)
        context.closeWebSocket(code: code)
    }
}
