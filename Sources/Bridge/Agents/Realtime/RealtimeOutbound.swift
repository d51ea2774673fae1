import NIOCore

/// Builds the client events voiced sends a Realtime agent (docs/agents.md), in the settings'
/// dialect: `session.update`, `input_audio_buffer.append` (straight into a ByteBuffer, once per
/// 20 ms), `response.cancel`, `conversation.item.truncate`.
///
/// - Threading: one per connector, on the call's event loop.
/// - Realtime: not a media-thread type; `append` allocates only its ByteBuffer.
struct RealtimeOutbound {
    let settings: RealtimeSettings

    /// The session: formats, voice, instructions, turn detection (and transcription when set).
    func sessionUpdate() -> String {
        let s = settings
        let t = s.turnDetection
        let vad = #"{"type":"\#(esc(t.type))","threshold":\#(t.threshold),"prefix_padding_ms":\#(t.prefixPaddingMs),"silence_duration_ms":\#(t.silenceDurationMs),"create_response":true,"interrupt_response":\#(t.interruptResponse)}"#
        switch s.dialect {
        case .ga:
            let format = s.audio == .mulaw ? #"{"type":"audio/pcmu"}"# : #"{"type":"audio/pcm","rate":24000}"#
            let transcription = s.transcriptionModel.map { #","transcription":{"model":"\#(esc($0))"}"# } ?? ""
            return #"{"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],"instructions":"\#(esc(s.instructions))","audio":{"input":{"format":\#(format)\#(transcription),"turn_detection":\#(vad)},"output":{"format":\#(format),"voice":"\#(esc(s.voice))"}}}}"#
        case .voiceLive:
            let formats = s.audio == .mulaw
                ? #""input_audio_format":"g711_ulaw","output_audio_format":"g711_ulaw""#
                : #""input_audio_format":"pcm16","output_audio_format":"pcm16","input_audio_sampling_rate":24000"#
            let transcription = s.transcriptionModel.map { #","input_audio_transcription":{"model":"\#(esc($0))"}"# } ?? ""
            // Voice names with a hyphen are Azure voices (en-US-AvaNeural); the rest are OpenAI's.
            let voiceType = s.voice.contains("-") ? "azure-standard" : "openai"
            // Server echo cancellation stays off: voiced cancels echo itself, before the agent hears it.
            return #"{"type":"session.update","session":{"modalities":["text","audio"],"instructions":"\#(esc(s.instructions))","voice":{"type":"\#(voiceType)","name":"\#(esc(s.voice))"},\#(formats)\#(transcription),"turn_detection":\#(vad)}}"#
        }
    }

    private static let appendPrefix: StaticString = #"{"type":"input_audio_buffer.append","audio":""#

    /// `input_audio_buffer.append` carrying `audio` (in the session's input format) as base64.
    func append(_ audio: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoded = Base64.encodedCount(audio.count)
        var buffer = allocator.buffer(capacity: Self.appendPrefix.utf8CodeUnitCount + encoded + 2)
        buffer.writeStaticString(Self.appendPrefix)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: encoded) { Base64.encode(audio, into: $0) }
        buffer.writeStaticString(#""}"#)
        return buffer
    }

    /// `response.cancel` for `responseID`.
    func cancel(_ responseID: String) -> String {
        #"{"type":"response.cancel","response_id":"\#(esc(responseID))"}"#
    }

    /// `conversation.item.truncate`: the assistant item heard up to `audioEndMs`.
    func truncate(item: String, audioEndMs: Int) -> String {
        #"{"type":"conversation.item.truncate","item_id":"\#(esc(item))","content_index":0,"audio_end_ms":\#(max(0, audioEndMs))}"#
    }

    private func esc(_ text: String) -> String { JSONStringEscaper.escape(text) }
}
