import Foundation

/// The caller's side: appended audio, the audio clock, commits and the turn events.
///
/// - Threading: all methods are called on the connection's event loop.
extension FakeRealtimeConnection {
    /// Counts `bytes` of input audio (arrived at `arrivalNanos`) into the clock, the buffer and the
    /// load trace and, with `autoRespond` and turn detection on, runs the VAD over them and acts on
    /// the turns it finds.
    func append(audio bytes: UnsafeRawBufferPointer, arrivalNanos: UInt64) {
        trace?.appended(bytes, arrivalNanos: arrivalNanos)
        if !session.inputAudioStarted { session.inputAudioStarted = true }
        let format = session.inputFormat
        let ms = Double(bytes.count / format.bytesPerSample) * 1000 / Double(format.sampleRateHz)
        var events: [EnergyVAD.Event] = []
        if behaviour.autoRespond, let turns {
            // A local copy: no exclusivity check per sample on the class's stored property.
            var detector = vad ?? EnergyVAD(
                sampleRateHz: format.sampleRateHz, originMs: Int(audioClockMs.rounded()),
                configuration: .init(silenceMs: turns.silenceMs))
            format.forEachSample(in: bytes) { sample in
                if let event = detector.feed(sample) { events.append(event) }
            }
            vad = detector
        }
        audioClockMs += ms
        bufferMs += ms
        for event in events {
            switch event {
            case let .started(onsetMs):
                startSpeech(audioStartMs: max(0, onsetMs - (turns?.prefixPaddingMs ?? 0)))
            case let .stopped(endMs):
                stopSpeech(audioEndMs: endMs, respond: true)
            }
        }
    }

    /// The audio clock now, in whole ms.
    var audioClock: Int { Int(audioClockMs) }

    /// `input_audio_buffer.speech_started`; cancels a streaming response (reason `turn_detected`)
    /// when turn detection is on with `interrupt_response` and `Behaviour.interruptResponse` is set.
    func startSpeech(audioStartMs: Int) {
        let item = FakeIDs.make("item_")
        speechItemID = item
        send("input_audio_buffer.speech_started", ["audio_start_ms": .int(audioStartMs), "item_id": .string(item)])
        if behaviour.interruptResponse, turns?.interruptResponse == true, response != nil {
            cancelResponse(reason: "turn_detected")
        }
    }

    /// `input_audio_buffer.speech_stopped`, then the commit the real server makes of the turn
    /// (`committed` and the user item), the transcript when transcription is on, and, when
    /// `respond` and `create_response` are set and no response runs, a response.
    func stopSpeech(audioEndMs: Int, respond: Bool) {
        let item = speechItemID ?? FakeIDs.make("item_")
        speechItemID = nil
        send("input_audio_buffer.speech_stopped", ["audio_end_ms": .int(audioEndMs), "item_id": .string(item)])
        committed(itemID: item)
        if respond, turns?.createResponse == true, response == nil {
            _ = startResponse(audioMs: behaviour.responseAudioMs, audio: session.audioOut, metadata: .null)
        }
    }

    /// `input_audio_buffer.commit`: at least 100 ms must be buffered.
    func commit() throws(FakeRealtimeError) {
        guard bufferMs >= 100 else {
            throw FakeRealtimeError(
                code: "input_audio_buffer_commit_empty",
                message: "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has \(String(format: "%.2f", bufferMs))ms of audio.",
                param: nil)
        }
        committed(itemID: FakeIDs.make("item_"))
    }

    /// Empties the buffer into the user item `itemID` and announces it.
    private func committed(itemID: String) {
        bufferMs = 0
        let previous: FakeJSON = lastItemID.map(FakeJSON.string) ?? .null
        switch dialect {
        case .ga: send("input_audio_buffer.committed", ["item_id": .string(itemID), "previous_item_id": previous])
        case .voiceLive: send("input_audio_buffer.committed", ["previous_item_id": previous, "item_id": .string(itemID)])
        }
        let item: FakeJSON = [
            "id": .string(itemID), "object": "realtime.item", "type": "message", "status": "completed", "role": "user",
            "content": [["type": "input_audio", "transcript": .null]],
        ]
        announceItem(item, id: itemID, done: true)
        if !session.transcription.isNull {
            var fields: [(String, FakeJSON)] = [("item_id", .string(itemID)), ("content_index", 0), ("transcript", "Hello, I have a question.")]
            if dialect == .ga { fields.append(("usage", ["type": "duration", "seconds": 2])) }
            send("conversation.item.input_audio_transcription.completed", fields)
        }
    }
}
