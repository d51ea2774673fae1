import Foundation
import NIOCore

/// One response being streamed: its ids, how much audio it will carry and how much went out.
///
/// - Threading: used on its connection's event loop only.
/// - Ownership: owned by the connection while it streams; `promise` completes when it ends.
/// - Realtime: unsafe (allocates); test and load-generator code only.
final class ResponseStream {
    let id = FakeIDs.make("resp_")
    let itemID = FakeIDs.make("item_")
    /// Audio the response will carry when not cut short, in ms.
    let totalMs: Int
    let chunkMs: Int
    /// False for a text-only response.
    let audio: Bool
    let format: FakeAudioFormat
    let metadata: FakeJSON
    /// The audio of each delta, base64: the fake voice from its start (shared by every response of
    /// this shape, see `FakeRealtimeHub.responseDeltas`). Empty for a text-only response.
    let audioDeltas: [String]
    /// Audio sent so far, in ms.
    var sentMs = 0
    var deltas = 0
    /// The conversation item before this response's item.
    var previousItemID: String?
    let start = NIODeadline.now()
    var firstDeltaAt: NIODeadline?
    /// Transcript sent so far.
    var transcript = ""
    /// Set when it was cancelled: `turn_detected` or `client_cancelled`.
    var cancelReason: String?
    var scheduled: Scheduled<Void>?
    let promise: EventLoopPromise<FakeRealtimeServer.ResponseSummary>

    static let words = "Sure, I can help with that. Let me check the details for you.".split(separator: " ").map(String.init)

    init(
        totalMs: Int, chunkMs: Int, audio: Bool, format: FakeAudioFormat, metadata: FakeJSON, audioDeltas: [String],
        promise: EventLoopPromise<FakeRealtimeServer.ResponseSummary>
    ) {
        self.totalMs = max(0, totalMs)
        self.chunkMs = max(1, chunkMs)
        self.audio = audio
        self.format = format
        self.metadata = metadata
        self.audioDeltas = audioDeltas
        self.promise = promise
    }

    /// Deltas a full response sends.
    var plannedDeltas: Int { (totalMs + chunkMs - 1) / chunkMs }

    func summary(status: String) -> FakeRealtimeServer.ResponseSummary {
        FakeRealtimeServer.ResponseSummary(responseID: id, itemID: itemID, status: status, audioMs: sentMs, deltas: deltas)
    }
}

/// Responses: creation, the paced delta stream, cancellation (client or VAD), the closing events,
/// and truncation of the items they leave.
///
/// - Threading: all methods are called on the connection's event loop.
extension FakeRealtimeConnection {
    /// `response.create {response?}`: refused while a response runs.
    func createResponse(_ options: FakeJSON?) throws(FakeRealtimeError) {
        if let response {
            throw FakeRealtimeError(
                code: "conversation_already_has_active_response",
                message: "Conversation already has an active response in progress: \(response.id). Wait until the response is finished before creating a new one.",
                param: nil)
        }
        var audio = session.audioOut
        var metadata: FakeJSON = .null
        if let options, !options.isNull {
            guard options.pairs != nil else { throw .invalidType("response", expected: "an object", got: options) }
            let key = dialect == .ga ? "output_modalities" : "modalities"
            if let modalities = options[key] {
                audio = try FakeSession.strings(modalities, param: "response.\(key)", allowed: ["audio", "text"]).contains("audio")
            }
            metadata = options["metadata"] ?? .null
        }
        _ = startResponse(audioMs: behaviour.responseAudioMs, audio: audio, metadata: metadata)
    }

    /// Starts a response of `audioMs` of audio (or text only) and streams it. Nil when one already runs.
    func startResponse(audioMs: Int, audio: Bool, metadata: FakeJSON) -> ResponseStream? {
        guard response == nil, let channel, channel.isActive, !closing else { return nil }
        let chunkMs = max(1, behaviour.chunkMs)
        let deltas = audio ? hub.responseDeltas(format: session.outputFormat, chunkMs: chunkMs, totalMs: max(0, audioMs)) : []
        let r = ResponseStream(
            totalMs: audioMs, chunkMs: chunkMs, audio: audio, format: session.outputFormat, metadata: metadata,
            audioDeltas: deltas, promise: channel.eventLoop.makePromise())
        response = r
        send("response.created", ["response": responseJSON(r, status: "in_progress", details: .null, output: [])])
        send("rate_limits.updated", ["rate_limits": [
            ["name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012],
            ["name": "tokens", "limit": 40000, "remaining": 38000, "reset_seconds": 3.0],
        ]])
        let item = itemJSON(r, status: "in_progress", content: [])
        r.previousItemID = lastItemID
        send("response.output_item.added", ["response_id": .string(r.id), "output_index": 0, "item": item])
        announceItem(item, id: r.itemID, done: false)
        remember(item: r.itemID)
        let part: FakeJSON = audio ? ["type": "audio", "transcript": ""] : ["type": "text", "text": ""]
        send("response.content_part.added", ids(r) + [("part", part)])
        pump(r)
        return r
    }

    /// Sends the next delta of `r` and schedules the one after, or finishes it.
    private func pump(_ r: ResponseStream) {
        guard response === r, r.cancelReason == nil, let channel else { return }
        guard r.audio else {
            for (i, word) in ResponseStream.words.enumerated() {
                let delta = (i == 0 ? "" : " ") + word
                r.transcript += delta
                send(dialect == .ga ? "response.output_text.delta" : "response.text.delta", ids(r) + [("delta", .string(delta))])
            }
            finish(r, status: "completed")
            return
        }
        if r.sentMs < r.totalMs { sendDelta(r) }
        guard r.sentMs < r.totalMs else {
            finish(r, status: "completed")
            return
        }
        if behaviour.realtimeFactor <= 0 {
            channel.eventLoop.execute { [self] in pump(r) }
        } else {
            let dueNanos = Double(r.deltas * r.chunkMs) * 1e6 * behaviour.realtimeFactor
            r.scheduled = channel.eventLoop.scheduleTask(deadline: r.start + .nanoseconds(Int64(dueNanos))) { [self] in pump(r) }
        }
    }

    /// One `chunkMs` audio delta (shorter at the end), and a transcript delta on the first and the
    /// middle one. The delta is written as text directly (its fields need no escaping), in the
    /// order `send(_:_:)` writes: type, event_id, the ids, delta.
    private func sendDelta(_ r: ResponseStream) {
        let ms = min(r.chunkMs, r.totalMs - r.sentMs)
        let type = dialect == .ga ? "response.output_audio.delta" : "response.audio.delta"
        let text = #"{"type":"\#(type)","event_id":"\#(FakeIDs.make("event_"))","response_id":"\#(r.id)","item_id":"\#(r.itemID)","output_index":0,"content_index":0,"delta":"\#(r.audioDeltas[r.deltas])"}"#
        if r.firstDeltaAt == nil {
            r.firstDeltaAt = .now()
            trace?.responseStarted(firstDeltaNanos: MonotonicClock.nanos())
        }
        send(raw: text)
        r.sentMs += ms
        itemAudioMs[r.itemID, default: 0] += ms
        if !session.outputAudioStarted { session.outputAudioStarted = true }
        let half = ResponseStream.words.count / 2
        let middle = max(1, r.plannedDeltas / 2)
        var words: ArraySlice<String>?
        if r.deltas == 0 { words = ResponseStream.words[..<half] }
        if r.deltas == middle || (r.deltas == 0 && r.plannedDeltas == 1) { words = (words ?? []) + ResponseStream.words[half...] }
        if let words {
            let delta = (r.transcript.isEmpty ? "" : " ") + words.joined(separator: " ")
            r.transcript += delta
            send(dialect == .ga ? "response.output_audio_transcript.delta" : "response.audio_transcript.delta",
                 ids(r) + [("delta", .string(delta))])
        }
        r.deltas += 1
    }

    /// `response.cancel {response_id?}`: `response_cancel_not_active` when nothing (or another
    /// response) runs.
    func cancel(responseID: FakeJSON?) throws(FakeRealtimeError) {
        if let responseID, responseID.string == nil, !responseID.isNull {
            throw .invalidType("response_id", expected: "a string", got: responseID)
        }
        guard let r = response, r.cancelReason == nil, responseID?.string == nil || responseID?.string == r.id else {
            throw FakeRealtimeError(code: "response_cancel_not_active", message: "Cancellation failed: no active response found", param: nil)
        }
        cancelResponse(reason: "client_cancelled")
    }

    /// Cancels the running response: sends `lateDeltasAfterCancel` more deltas (as a real server
    /// whose audio was already in flight does), then the closing events with status `cancelled`.
    /// On Voice Live with `auto_truncate` and a VAD cancel, also truncates the item to the audio a
    /// real-time player would have played.
    func cancelResponse(reason: String) {
        guard let r = response, r.cancelReason == nil else { return }
        r.cancelReason = reason
        r.scheduled?.cancel()
        var late = behaviour.lateDeltasAfterCancel
        while late > 0, r.audio, r.sentMs < r.totalMs {
            sendDelta(r)
            late -= 1
        }
        finish(r, status: "cancelled")
        if dialect == .voiceLive, reason == "turn_detected", turns?.autoTruncate == true, let first = r.firstDeltaAt {
            let playedMs = Int((NIODeadline.now() - first).nanoseconds / 1_000_000)
            let endMs = min(r.sentMs, playedMs)
            itemAudioMs[r.itemID] = endMs
            send("conversation.item.truncated", ["item_id": .string(r.itemID), "content_index": 0, "audio_end_ms": .int(endMs)])
        }
    }

    /// The closing events: audio (or text) `.done`, transcript `.done`, `content_part.done`,
    /// `output_item.done` (item `incomplete` when cut short), GA `conversation.item.done`, then
    /// `response.done`.
    private func finish(_ r: ResponseStream, status: String) {
        let cut = status != "completed"
        if r.audio {
            send(dialect == .ga ? "response.output_audio.done" : "response.audio.done", ids(r))
            send(dialect == .ga ? "response.output_audio_transcript.done" : "response.audio_transcript.done",
                 ids(r) + [("transcript", .string(r.transcript))])
        } else {
            send(dialect == .ga ? "response.output_text.done" : "response.text.done", ids(r) + [("text", .string(r.transcript))])
        }
        let part: FakeJSON = r.audio ? ["type": "audio", "transcript": .string(r.transcript)] : ["type": "text", "text": .string(r.transcript)]
        send("response.content_part.done", ids(r) + [("part", part)])
        let contentType = r.audio ? (dialect == .ga ? "output_audio" : "audio") : (dialect == .ga ? "output_text" : "text")
        let content: FakeJSON = r.audio
            ? ["type": .string(contentType), "transcript": .string(r.transcript)]
            : ["type": .string(contentType), "text": .string(r.transcript)]
        let item = itemJSON(r, status: cut ? "incomplete" : "completed", content: [content])
        send("response.output_item.done", ["response_id": .string(r.id), "output_index": 0, "item": item])
        if dialect == .ga {
            send("conversation.item.done", ["previous_item_id": r.previousItemID.map(FakeJSON.string) ?? .null, "item": item])
        }
        let details: FakeJSON = r.cancelReason.map { ["type": "cancelled", "reason": .string($0)] } ?? .null
        send("response.done", ["response": responseJSON(r, status: status, details: details, output: [item])])
        response = nil
        r.promise.succeed(r.summary(status: status))
    }

    /// `conversation.item.truncate {item_id, content_index, audio_end_ms}`.
    func truncate(_ json: FakeJSON) throws(FakeRealtimeError) {
        guard let idValue = json["item_id"] else { throw .missing("item_id") }
        guard let itemID = idValue.string else { throw .invalidType("item_id", expected: "a string", got: idValue) }
        guard let indexValue = json["content_index"] else { throw .missing("content_index") }
        guard let index = indexValue.int else { throw .invalidType("content_index", expected: "an integer", got: indexValue) }
        guard let endValue = json["audio_end_ms"] else { throw .missing("audio_end_ms") }
        guard let endMs = endValue.int else { throw .invalidType("audio_end_ms", expected: "an integer", got: endValue) }
        guard endMs >= 0 else { throw .outOfRange("audio_end_ms", value: Double(endMs), min: 0, max: nil, integer: true) }
        guard index >= 0 else { throw .outOfRange("content_index", value: Double(index), min: 0, max: nil, integer: true) }
        guard let heldMs = itemAudioMs[itemID] else {
            throw FakeRealtimeError(
                code: "item_truncate_invalid_item_id",
                message: "Error truncating item: the item with id '\(itemID)' does not exist.", param: "item_id")
        }
        guard index == 0 else { throw .invalidValue("content_index", got: indexValue, supported: ["0"]) }
        guard endMs <= heldMs else {
            throw FakeRealtimeError(
                code: "invalid_value", message: "Audio content of \(heldMs)ms is already shorter than \(endMs)ms", param: nil)
        }
        itemAudioMs[itemID] = endMs
        send("conversation.item.truncated", ["item_id": .string(itemID), "content_index": .int(index), "audio_end_ms": .int(endMs)])
    }

    // MARK: Shapes

    /// `response_id, item_id, output_index, content_index`.
    private func ids(_ r: ResponseStream) -> [(String, FakeJSON)] {
        [("response_id", .string(r.id)), ("item_id", .string(r.itemID)), ("output_index", 0), ("content_index", 0)]
    }

    private func itemJSON(_ r: ResponseStream, status: String, content: [FakeJSON]) -> FakeJSON {
        ["id": .string(r.itemID), "object": "realtime.item", "type": "message", "status": .string(status), "role": "assistant",
         "content": .array(content)]
    }

    private func responseJSON(_ r: ResponseStream, status: String, details: FakeJSON, output: [FakeJSON]) -> FakeJSON {
        let modalities: FakeJSON = r.audio ? (dialect == .ga ? ["audio"] : ["text", "audio"]) : ["text"]
        let usage: FakeJSON
        if status == "in_progress" {
            usage = .null
        } else {
            let audioTokens = r.sentMs / 50, textTokens = r.transcript.split(separator: " ").count * 2
            usage = [
                "total_tokens": .int(120 + audioTokens + textTokens), "input_tokens": 120, "output_tokens": .int(audioTokens + textTokens),
                "input_token_details": ["text_tokens": 100, "audio_tokens": 20, "cached_tokens": 0],
                "output_token_details": ["text_tokens": .int(textTokens), "audio_tokens": .int(audioTokens)],
            ]
        }
        switch dialect {
        case .ga:
            return [
                "object": "realtime.response", "id": .string(r.id), "status": .string(status), "status_details": details,
                "output": .array(output), "conversation_id": .string(conversationID), "output_modalities": modalities,
                "max_output_tokens": session.maxOutputTokens,
                "audio": ["output": ["format": r.format.gaJSON, "voice": session.voice]],
                "usage": usage, "metadata": r.metadata,
            ]
        case .voiceLive:
            return [
                "object": "realtime.response", "id": .string(r.id), "status": .string(status), "status_details": details,
                "output": .array(output), "modalities": modalities, "voice": session.voice,
                "output_audio_format": .string(r.format.voiceLiveOutputName), "temperature": .double(session.temperature),
                "max_output_tokens": session.maxOutputTokens, "usage": usage, "metadata": r.metadata,
            ]
        }
    }

    /// Remembers an assistant item for truncation, forgetting the oldest past ``maxItems``.
    private func remember(item id: String) {
        itemAudioMs[id] = 0
        itemOrder.append(id)
        if itemOrder.count > Self.maxItems {
            let old = itemOrder.removeFirst()
            itemAudioMs[old] = nil
        }
    }
}
