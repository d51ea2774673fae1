import Logging
import MediaGraph
import NIOCore
import NIOWebSocket

/// One provider media WebSocket: WebSocket control (ping, close, errors), the provider's
/// ``ProviderDialect``, and the call's ``CallSession`` once the provider sends `start`.
///
/// Lifecycle: `awaitingStart` → (`start`) `active` → (`stop`, socket close, agent failure) `ended`.
/// The session outlives the socket until its media thread retired the call; every per-call
/// resource is released whichever way the call ends.
///
/// Reactions to bad input (docs/twilio.md lists them): a malformed or out-of-order message is
/// rejected (logged, counted by reason) and the call goes on; an unsupported media format closes
/// the socket with 1003; a graph the call asked for that cannot be built closes it with 1008;
/// unknown events are counted and ignored.
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
    /// The `customParameters` key with which a call picks its graph.
    static let graphParameter = "graph"

    private let environment: CallEnvironment
    private let dialect: ProviderDialect
    private var state = State.awaitingStart
    private var context: ChannelHandlerContext?
    private var logger: Logger
    private var loudLogs = 0

    init(dialect: ProviderDialect, environment: CallEnvironment) {
        self.dialect = dialect
        self.environment = environment
        logger = environment.logger
        logger[metadataKey: "provider"] = "\(dialect.name)"
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
        if case let .active(session) = state, context.channel.isWritable { session.providerWritable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.warning("socket error, closing", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: ProviderOutput

    func send(_ build: (ProviderDialect, ByteBufferAllocator) -> WebSocketMessage) {
        guard let context else { return }
        let message = build(dialect, context.channel.allocator)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: message.isText ? .text : .binary, data: message.data)),
                      promise: nil)
    }

    func flush() { context?.flush() }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            frame.unmaskedData.withUnsafeReadableBytes { bytes in
                guard UTF8Validation.isValid(bytes) else {
                    reject(.badUTF8)
                    close(code: .dataInconsistentWithMessage)
                    return
                }
                handle { () throws(ProviderProtocolError) in try dialect.parse(text: bytes) }
            }
        case .binary:
            frame.unmaskedData.withUnsafeReadableBytes { bytes in handle { () throws(ProviderProtocolError) in try dialect.parse(binary: bytes) } }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            endCall(reason: "closed without stop")
            close(code: closeReply(to: frame.unmaskedData))
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

    /// Parses one message with `parse` and acts on it.
    private func handle(_ parse: () throws(ProviderProtocolError) -> ProviderEvent) {
        let arrival = MediaClock.nanos()
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
        case let (.start(start), .awaitingStart):
            begin(start)
        case (.start, .active), (.start, .ended):
            reject(.secondStart)
        case let (.mark(name), .active(session)):
            session.markReturned(name)
        case let (.dtmf(digit), .active(session)):
            session.dtmf(digit)
        case (.stop, .active):
            endCall(reason: "stop")
        case (.connected, _):
            logger.debug("connected")
        case let (.unknown(name), _):
            environment.stats.unknownEvents.wrappingIncrement(ordering: .relaxed)
            log("unknown event ignored", ["event": "\(name)"])
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
            close(code: .unacceptableData)
            return
        }
        do {
            let agent = try environment.agents.connector(for: start)
            // A call may pick its graph: <Parameter name="graph" value="standard"/> (a preset or a spec).
            let spec = try start.customParameters[Self.graphParameter].map(GraphSpec.named) ?? environment.graph
            let session = try CallSession(start: start, providerFormat: format, spec: spec, agent: agent, provider: self,
                                          loopCalls: loopCalls, environment: environment)
            logger = session.logger
            state = .active(session)
            session.endCallFromAgent = { [weak self] reason in self?.close(code: .normalClosure, reason: reason) }
        } catch let error as GraphBuildError {
            // VoicedServer built its own graph at start-up, so this one came from the call.
            reject(.badGraph(error.description))
            close(code: .policyViolation)
        } catch let error as AgentDirectory.Refusal {
            reject(.badAgent(error.description))
            close(code: .policyViolation)
        } catch {
            logger.error("call refused", metadata: ["error": "\(error)", "provider_call": "\(start.callID)"])
            close(code: .unexpectedServerError)
        }
    }

    // MARK: Ending

    private func endCall(reason: String) {
        if case let .active(session) = state { session.end(reason: reason) }
        state = .ended
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

    private func close(code: WebSocketErrorCode, reason: String? = nil) {
        guard let context else { return }
        endCall(reason: reason ?? "closed by voiced (\(code))")
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .whenComplete { _ in context.close(promise: nil) }
    }
}
