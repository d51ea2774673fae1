import Bridge
import Foundation
import NIOCore
import NIOWebSocket

/// One upgraded connection of ``FakeRealtimeServer``: the server side of a Realtime session in one
/// dialect. It sends `session.created` as soon as it is added, reads client events, answers them as
/// docs/agents.md describes, and streams responses.
///
/// Concerns are split over files: this one holds the socket and the event dispatch;
/// `+Input` the caller's audio (append, commit, clear, the VAD and its turn events); `+Responses`
/// responses, cancellation and truncation.
///
/// - Threading: all methods are called on the channel's event loop. Server-side actions reach it
///   through the `NIOLoopBound` the hub holds, which checks the loop.
/// - Ownership: owned by the channel pipeline; the hub holds it (loop-bound) while it is open.
/// - Realtime: unsafe (allocates, parses JSON); test and load-generator code only.
final class FakeRealtimeConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    typealias Dialect = FakeRealtimeServer.Dialect

    /// Largest `input_audio_buffer.append` audio field, in base64 characters: 15 MiB.
    static let maxAppendCharacters = 15 * 1024 * 1024
    /// Assistant items remembered for truncation.
    static let maxItems = 10_000

    let number: Int
    let dialect: Dialect
    let behaviour: FakeRealtimeServer.Behaviour
    let setup: FakeRealtimeUpgrade.Setup
    let hub: FakeRealtimeHub
    /// Set in `handlerAdded`.
    var channel: Channel?

    var session: FakeSession {
        didSet { turnsValid = false }
    }
    private var turnsCache: FakeSession.Turns?
    private var turnsValid = false
    /// `session.turns`, computed again only after the session changed (it reads the JSON).
    var turns: FakeSession.Turns? {
        if !turnsValid {
            turnsCache = session.turns
            turnsValid = true
        }
        return turnsCache
    }
    /// Ms of all audio appended this session: the clock of `audio_start_ms` / `audio_end_ms`.
    var audioClockMs = 0.0
    /// Ms of audio appended since the last commit or clear.
    var bufferMs = 0.0
    /// Created on the first append with turn detection on; reset when the input format or the
    /// turn detection changes.
    var vad: EnergyVAD?
    /// The user item between `speech_started` and `speech_stopped`.
    var speechItemID: String?
    /// The newest conversation item, for `previous_item_id`.
    var lastItemID: String?
    let conversationID = FakeIDs.make("conv_")
    /// The response streaming now, if any.
    var response: ResponseStream?
    /// Ms of audio each assistant item holds (sent, or truncated to), oldest first in `itemOrder`.
    var itemAudioMs: [String: Int] = [:]
    var itemOrder: [String] = []
    /// A close frame went out; nothing more is sent.
    var closing = false
    private var closeTimeout: Scheduled<Void>?
    /// The load trace (``FakeRealtimeServer/Behaviour/tracing``), made in `handlerAdded`.
    var trace: ConnectionTrace?
    /// The allocation-free append path (``FakeRealtimeServer/Behaviour/storesAppends`` false): a
    /// tape, and scratch for the unmasked message and the decoded audio. Larger messages take the
    /// full path.
    private let appendTape: JSONTape?
    private var unmaskScratch: [UInt8] = []
    private var decodeScratch: [UInt8] = []
    /// Largest message the allocation-free path reads: 16 KiB (a 20 ms frame of PCM at 24 kHz is 1.3 KiB of base64).
    private static let fastPathMaxBytes = 16 * 1024

    init(number: Int, dialect: Dialect, behaviour: FakeRealtimeServer.Behaviour, setup: FakeRealtimeUpgrade.Setup, hub: FakeRealtimeHub) {
        self.number = number
        self.dialect = dialect
        self.behaviour = behaviour
        self.setup = setup
        self.hub = hub
        session = FakeSession(dialect: dialect, model: setup.model, apiVersion: setup.apiVersion, behaviour: behaviour)
        if behaviour.storesAppends {
            appendTape = nil
        } else {
            appendTape = JSONTape(maxTokens: 16)
            unmaskScratch = Array(repeating: 0, count: Self.fastPathMaxBytes)
            decodeScratch = Array(repeating: 0, count: Self.fastPathMaxBytes)
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        hub.register(number, NIOLoopBound(self, eventLoop: context.eventLoop))
        if let tracing = behaviour.tracing {
            let trace = ConnectionTrace(connection: number, tracing: tracing)
            self.trace = trace
            hub.register(trace: NIOLoopBound(trace, eventLoop: context.eventLoop), number: number)
        }
        if setup.betaHeader {
            sendError(FakeRealtimeError(
                code: "beta_api_shape_disabled",
                message: "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.", param: nil),
                eventID: nil)
            close(code: 4000, reason: "beta_api_shape_disabled")
            return
        }
        send("session.created", ["session": session.json])
    }

    func channelInactive(context: ChannelHandlerContext) {
        hub.unregister(number)
        closeTimeout?.cancel()
        if let response {
            response.scheduled?.cancel()
            self.response = nil
            response.promise.succeed(response.summary(status: "closed"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let arrival = MonotonicClock.nanos()
            if appendTape != nil, appendFast(frame, arrivalNanos: arrival) { return }
            var bytes = frame.unmaskedData
            handle(text: bytes.readString(length: bytes.readableBytes) ?? "", arrivalNanos: arrival)
        case .binary:
            hub.record(ClientEvent(connection: number, type: "", text: "", arrivalNanos: ClientEvent.monotonicNanos()))
            sendError(FakeRealtimeError(code: "invalid_value", message: "Binary frames are not supported; send JSON text.", param: nil), eventID: nil)
        case .ping:
            guard !closing else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            // The client is leaving: it no longer counts as open, nor as the target of actions.
            hub.unregister(number)
            if closing {
                context.close(promise: nil)
            } else {
                closing = true
                var data = frame.unmaskedData
                let code = data.readInteger(as: UInt16.self) ?? 1000
                var reply = context.channel.allocator.buffer(capacity: 2)
                reply.writeInteger(code)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
                    .whenComplete { _ in channel.close(promise: nil) }
            }
        default:
            break
        }
    }

    // MARK: Client events

    /// Reads `frame` as a well-formed `input_audio_buffer.append` with no allocation (unmasked into
    /// scratch, parsed on a tape, decoded into scratch) and appends its audio. Returns false, having
    /// done nothing, for anything else (another event, extra keys, an escaped or invalid `audio`, a
    /// message over ``fastPathMaxBytes``): the full path then handles it, errors included.
    ///
    /// - Realtime: unsafe (a turn the VAD finds sends events, which allocates); no allocation per append otherwise.
    private func appendFast(_ frame: WebSocketFrame, arrivalNanos: UInt64) -> Bool {
        guard let tape = appendTape else { return false }
        let length = frame.data.readableBytes
        guard length <= unmaskScratch.count else { return false }
        let maskKey = frame.maskKey
        return unmaskScratch.withUnsafeMutableBytes { scratch in
            frame.data.withUnsafeReadableBytes { source in
                if let maskKey {
                    for i in 0..<length { scratch[i] = source[i] ^ maskKey[i & 3] }
                } else {
                    scratch.copyMemory(from: source)
                }
            }
            guard (try? tape.parse(UnsafeRawBufferPointer(rebasing: scratch[0..<length]))) != nil else { return false }
            var type: Int?
            var audio: Int?
            var other = false
            tape.forEachMember(of: 0) { key, value in
                if tape.equals(key, "type") {
                    type = value
                } else if tape.equals(key, "audio") {
                    audio = value
                } else if !tape.equals(key, "event_id") {
                    other = true
                }
            }
            guard !other, let type, tape.equals(type, "input_audio_buffer.append"), let audio,
                  tape[audio].kind == .string, !tape[audio].escaped else { return false }
            let text = tape.raw(audio)
            guard Base64.maxDecodedCount(text.count) <= decodeScratch.count,
                  let n = decodeScratch.withUnsafeMutableBytes({ Base64.decode(text, into: $0) }) else { return false }
            hub.countAppend()
            decodeScratch.withUnsafeBytes { append(audio: UnsafeRawBufferPointer(rebasing: $0[0..<n]), arrivalNanos: arrivalNanos) }
            return true
        }
    }

    private func handle(text: String, arrivalNanos arrival: UInt64) {
        let json = FakeJSON.parse(text)
        let type = json?["type"]?.string ?? ""
        hub.record(ClientEvent(connection: number, type: type, text: text, arrivalNanos: arrival))
        guard let json, json.pairs != nil else {
            sendError(FakeRealtimeError(
                code: "invalid_json",
                message: "The event could not be parsed as a JSON object.", param: nil), eventID: nil)
            return
        }
        let eventID = json["event_id"]?.string
        do {
            guard let typeValue = json["type"] else { throw FakeRealtimeError.missing("type") }
            guard typeValue.string != nil else { throw FakeRealtimeError.invalidType("type", expected: "a string", got: typeValue) }
            try dispatch(type, json, arrivalNanos: arrival)
        } catch let error as FakeRealtimeError {
            sendError(error, eventID: eventID)
        } catch {
            sendError(FakeRealtimeError(type: "server_error", code: "server_error", message: "\(error)", param: nil), eventID: eventID)
        }
    }

    static let clientEventTypes = [
        "session.update", "input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
        "conversation.item.create", "conversation.item.retrieve", "conversation.item.truncate", "conversation.item.delete",
        "response.create", "response.cancel", "output_audio_buffer.clear",
    ]

    private func dispatch(_ type: String, _ json: FakeJSON, arrivalNanos: UInt64) throws(FakeRealtimeError) {
        switch type {
        case "session.update":
            try Self.checkEventKeys(json, ["session"])
            var updated = session
            try updated.apply(json["session"])
            if updated.inputFormat != session.inputFormat || updated.turnDetection.text != session.turnDetection.text { vad = nil }
            session = updated
            send("session.updated", ["session": session.json])
        case "input_audio_buffer.append":
            try Self.checkEventKeys(json, ["audio"])
            guard let audio = json["audio"] else { throw .missing("audio") }
            guard let text = audio.string else { throw .invalidType("audio", expected: "a string", got: audio) }
            guard text.utf8.count <= Self.maxAppendCharacters else {
                throw FakeRealtimeError(
                    code: "string_above_max_length",
                    message: "Invalid 'audio': string too long. Expected a string with maximum length \(Self.maxAppendCharacters), but got a string with length \(text.utf8.count) instead.",
                    param: "audio")
            }
            guard let bytes = Data(base64Encoded: text) else {
                throw FakeRealtimeError(code: "invalid_value", message: "Invalid 'audio'. Expected base64-encoded audio bytes.", param: "audio")
            }
            bytes.withUnsafeBytes { append(audio: $0, arrivalNanos: arrivalNanos) }
        case "input_audio_buffer.commit":
            try Self.checkEventKeys(json, [])
            try commit()
        case "input_audio_buffer.clear":
            try Self.checkEventKeys(json, [])
            bufferMs = 0
            send("input_audio_buffer.cleared", [])
        case "response.create":
            try Self.checkEventKeys(json, ["response"])
            try createResponse(json["response"])
        case "response.cancel":
            try Self.checkEventKeys(json, ["response_id"])
            try cancel(responseID: json["response_id"])
        case "conversation.item.truncate":
            try Self.checkEventKeys(json, ["item_id", "content_index", "audio_end_ms"])
            try truncate(json)
        case "conversation.item.create":
            try Self.checkEventKeys(json, ["previous_item_id", "item"])
            try createItem(json)
        case "conversation.item.retrieve", "conversation.item.delete":
            try Self.checkEventKeys(json, ["item_id"])
            guard let idValue = json["item_id"] else { throw .missing("item_id") }
            guard let id = idValue.string, itemAudioMs[id] != nil || id == lastItemID else {
                let verb = type.hasSuffix("delete") ? "deleting" : "retrieving"
                throw FakeRealtimeError(
                    code: type.hasSuffix("delete") ? "item_delete_invalid_item_id" : "item_retrieve_invalid_item_id",
                    message: "Error \(verb) item: the item with id '\(idValue.string ?? idValue.text)' does not exist.", param: "item_id")
            }
            if type.hasSuffix("delete") {
                itemAudioMs[id] = nil
                send("conversation.item.deleted", ["item_id": .string(id)])
            } else {
                send("conversation.item.retrieved", ["item": ["id": .string(id), "object": "realtime.item", "type": "message"]])
            }
        case "output_audio_buffer.clear":
            throw FakeRealtimeError(
                code: "invalid_value",
                message: "output_audio_buffer.clear is only supported on WebRTC and SIP connections.", param: "type")
        default:
            throw .invalidValue("type", got: .string(type), supported: Self.clientEventTypes)
        }
    }

    /// Rejects keys an event does not define (besides `type` and `event_id`).
    private static func checkEventKeys(_ json: FakeJSON, _ allowed: [String]) throws(FakeRealtimeError) {
        for (key, _) in json.pairs ?? [] where key != "type" && key != "event_id" && !allowed.contains(key) {
            throw .unknownParameter(key)
        }
    }

    private func createItem(_ json: FakeJSON) throws(FakeRealtimeError) {
        guard let item = json["item"] else { throw .missing("item") }
        guard item.pairs != nil else { throw .invalidType("item", expected: "an object", got: item) }
        let id = item["id"]?.string ?? FakeIDs.make("item_")
        let stored = item.setting("id", .string(id)).setting("object", "realtime.item").setting("status", "completed")
        announceItem(stored, id: id, done: true)
    }

    // MARK: Sending

    /// Sends a server event `{type, event_id, fields…}`.
    func send(_ type: String, _ fields: KeyValuePairs<String, FakeJSON>) {
        send(type, Array(fields))
    }

    func send(_ type: String, _ fields: [(String, FakeJSON)]) {
        let event = FakeJSON.object([("type", .string(type)), ("event_id", .string(FakeIDs.make("event_")))] + fields)
        send(raw: event.text)
    }

    /// Sends any text frame (nothing after a close frame).
    func send(raw text: String) {
        guard !closing, let channel else { return }
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text)), promise: nil)
    }

    /// Sends an `error` event; `eventID` is the client event that caused it.
    func sendError(_ error: FakeRealtimeError, eventID: String?) {
        send("error", ["error": error.json(clientEventID: eventID)])
    }

    /// Sends a close frame and closes the connection when the client answers, or after 1 s.
    func close(code: UInt16, reason: String = "") {
        guard !closing, let channel else { return }
        closing = true
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(code)
        data.writeString(reason)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        closeTimeout = channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
    }

    /// Stops reading and answering for `duration` (TCP back-pressure on voiced), then goes on: a
    /// stuck server.
    func stall(for duration: TimeAmount) {
        guard let channel else { return }
        channel.setOption(ChannelOptions.autoRead, value: false).whenSuccess {
            channel.eventLoop.scheduleTask(in: duration) {
                channel.setOption(ChannelOptions.autoRead, value: true).whenSuccess { channel.read() }
            }
        }
    }

    /// Closes the TCP connection with no close frame: a vanished server.
    func drop() {
        closing = true
        channel?.close(promise: nil)
    }

    /// Announces a new conversation item: GA `conversation.item.added` (and `.done` when `done`),
    /// Voice Live `conversation.item.created`. It becomes the newest item.
    func announceItem(_ item: FakeJSON, id: String, done: Bool) {
        let previous: FakeJSON = lastItemID.map(FakeJSON.string) ?? .null
        switch dialect {
        case .ga:
            send("conversation.item.added", ["previous_item_id": previous, "item": item])
            if done { send("conversation.item.done", ["previous_item_id": previous, "item": item]) }
        case .voiceLive:
            send("conversation.item.created", ["previous_item_id": previous, "item": item])
        }
        lastItemID = id
    }
}
