import Foundation

/// The effective session of one fake Realtime connection: what `session.created` and
/// `session.updated` show, and the settings the fake acts on (audio formats, output modalities,
/// turn detection).
///
/// `session.update` is applied to a copy with ``apply(_:)``; a shape error throws before the copy is
/// kept, so a rejected update leaves the session as it was. The shapes follow docs/agents.md: GA
/// nests formats under `audio.input` / `audio.output` as objects and requires `session.type`; Voice
/// Live uses the flat beta fields (`input_audio_format`, `modalities`, …). Keys a dialect does not
/// know are rejected with `unknown_parameter`, so a connector speaking the wrong dialect is caught.
///
/// - Threading: a value, owned by one connection on its event loop.
/// - Ownership: a value.
/// - Realtime: unsafe (allocates); test and load-generator code only.
struct FakeSession {
    typealias Dialect = FakeRealtimeServer.Dialect

    /// What turn detection asks of the fake when it is on.
    struct Turns {
        /// Quiet that ends a turn, in ms.
        var silenceMs: Int
        /// Audio before the detected onset that `audio_start_ms` includes, in ms.
        var prefixPaddingMs: Int
        /// Start a response when a turn ends.
        var createResponse: Bool
        /// Cancel a running response when speech starts.
        var interruptResponse: Bool
        /// Voice Live: truncate the interrupted item itself, assuming real-time playback.
        var autoTruncate: Bool
    }

    static let openAIVoices = ["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"]

    let dialect: Dialect
    let id: String
    let model: String
    /// Unix seconds; GA always, Voice Live from api-version 2026-07-15.
    let expiresAt: Int?
    /// Voice Live `api-version`.
    let apiVersion: String
    /// Server defaults used when turn detection is (re)configured without these fields.
    let defaultSilenceMs: Int
    let defaultInterruptResponse: Bool

    var instructions = ""
    /// GA `output_modalities` (`["audio"]` or `["text"]`); Voice Live `modalities`.
    var modalities: [String]
    var inputFormat = FakeAudioFormat.pcm16(24000)
    var outputFormat = FakeAudioFormat.pcm16(24000)
    var transcription: FakeJSON = .null
    var noiseReduction: FakeJSON = .null
    /// Voice Live only.
    var echoCancellation: FakeJSON = .null
    /// Null for manual turns; otherwise the full object with defaults filled in.
    var turnDetection: FakeJSON
    var voice: FakeJSON
    /// GA `audio.output.speed`.
    var speed = 1.0
    /// Voice Live `temperature`.
    var temperature = 0.8
    var tools: FakeJSON = []
    var toolChoice: FakeJSON = "auto"
    var maxOutputTokens: FakeJSON = "inf"
    var tracing: FakeJSON = .null
    var truncation: FakeJSON = "auto"
    var prompt: FakeJSON = .null
    var include: FakeJSON = .null

    /// Set by the connection: audio has been appended, or sent out (Voice Live formats and the GA
    /// voice are fixed from then on).
    var inputAudioStarted = false
    var outputAudioStarted = false

    init(dialect: Dialect, model: String, apiVersion: String, behaviour: FakeRealtimeServer.Behaviour) {
        self.dialect = dialect
        self.model = model
        self.apiVersion = apiVersion
        id = FakeIDs.make("sess_")
        defaultSilenceMs = behaviour.silenceMs
        defaultInterruptResponse = behaviour.interruptResponse
        let now = Int(Date().timeIntervalSince1970)
        switch dialect {
        case .ga:
            expiresAt = now + 3600
            modalities = ["audio"]
            voice = "alloy"
        case .voiceLive:
            expiresAt = apiVersion >= "2026-07-15" ? now + 3600 : nil
            modalities = ["text", "audio"]
            voice = ["name": "en-US-Ava:DragonHDLatestNeural", "type": "azure-standard"]
        }
        turnDetection = .null
        turnDetection = (try? filledTurnDetection(["type": "server_vad"], param: "")) ?? .null
    }

    /// True when responses carry audio (else text only).
    var audioOut: Bool { modalities.contains("audio") }

    /// The turn-detection settings, or nil for manual turns.
    var turns: Turns? {
        guard !turnDetection.isNull else { return nil }
        let type = turnDetection["type"]?.string ?? "server_vad"
        let prefix = turnDetection["prefix_padding_ms"]?.int ?? 300
        var silence = turnDetection["silence_duration_ms"]?.int ?? defaultSilenceMs
        if type == "semantic_vad" { silence = defaultSilenceMs }
        return Turns(
            silenceMs: silence, prefixPaddingMs: prefix,
            createResponse: turnDetection["create_response"]?.bool ?? true,
            interruptResponse: turnDetection["interrupt_response"]?.bool ?? defaultInterruptResponse,
            autoTruncate: turnDetection["auto_truncate"]?.bool ?? false)
    }

    // MARK: Rendering

    /// The full session object in the dialect's shape.
    var json: FakeJSON {
        switch dialect {
        case .ga:
            let input: FakeJSON = [
                "format": inputFormat.gaJSON, "transcription": transcription, "noise_reduction": noiseReduction,
                "turn_detection": turnDetection,
            ]
            let output: FakeJSON = ["format": outputFormat.gaJSON, "voice": voice, "speed": .double(speed)]
            return [
                "type": "realtime", "object": "realtime.session", "id": .string(id), "model": .string(model),
                "output_modalities": .array(modalities.map(FakeJSON.string)), "instructions": .string(instructions),
                "tools": tools, "tool_choice": toolChoice, "max_output_tokens": maxOutputTokens, "tracing": tracing,
                "truncation": truncation, "prompt": prompt, "expires_at": expiresAt.map(FakeJSON.int) ?? .null,
                "audio": ["input": input, "output": output], "include": include,
            ]
        case .voiceLive:
            var pairs: [(String, FakeJSON)] = [
                ("object", "realtime.session"), ("id", .string(id)), ("model", .string(model)),
                ("modalities", .array(modalities.map(FakeJSON.string))), ("instructions", .string(instructions)),
                ("voice", voice), ("input_audio_format", .string(inputFormat.voiceLiveInputName)),
                ("output_audio_format", .string(outputFormat.voiceLiveOutputName)),
            ]
            if inputFormat.encoding == .pcm16 { pairs.append(("input_audio_sampling_rate", .int(inputFormat.sampleRateHz))) }
            pairs += [
                ("turn_detection", turnDetection), ("input_audio_transcription", transcription),
                ("input_audio_noise_reduction", noiseReduction), ("input_audio_echo_cancellation", echoCancellation),
                ("tools", tools), ("tool_choice", toolChoice), ("temperature", .double(temperature)),
                ("max_response_output_tokens", maxOutputTokens),
            ]
            if let expiresAt { pairs.append(("expires_at", .int(expiresAt))) }
            return .object(pairs)
        }
    }

    // MARK: session.update

    /// Applies the `session` field of a `session.update`. Throws the error the real server sends
    /// for a bad shape; on a throw `self` may be half-changed, so apply to a copy.
    mutating func apply(_ update: FakeJSON?) throws(FakeRealtimeError) {
        guard let update else { throw .missing("session") }
        guard let pairs = update.pairs else { throw .invalidType("session", expected: "an object", got: update) }
        switch dialect {
        case .ga: try applyGA(pairs)
        case .voiceLive: try applyVoiceLive(pairs)
        }
    }

    private mutating func applyGA(_ pairs: [(String, FakeJSON)]) throws(FakeRealtimeError) {
        try Self.checkKeys(pairs, allowed: [
            "type", "model", "output_modalities", "instructions", "audio", "tools", "tool_choice",
            "max_output_tokens", "tracing", "truncation", "prompt", "include",
        ], in: "session")
        guard let type = Self.value("type", pairs) else { throw .missing("session.type") }
        guard type.string == "realtime" else { throw .invalidValue("session.type", got: type, supported: ["realtime"]) }
        for (key, value) in pairs {
            let param = "session.\(key)"
            switch key {
            case "model": try checkModel(value, param: param)
            case "output_modalities":
                let list = try Self.strings(value, param: param, allowed: ["audio", "text"])
                guard list.count == 1 else { throw .invalidValue(param, got: value, supported: ["['audio']", "['text']"]) }
                modalities = list
            case "instructions": instructions = try Self.string(value, param: param)
            case "audio": try applyGAAudio(value)
            case "tools": tools = try Self.array(value, param: param)
            case "tool_choice": toolChoice = try Self.stringOrObject(value, param: param)
            case "max_output_tokens": maxOutputTokens = try Self.maxTokens(value, param: param)
            case "tracing":
                guard value.isNull || value.string == "auto" || value.pairs != nil else {
                    throw .invalidValue(param, got: value, supported: ["auto"])
                }
                tracing = value
            case "truncation":
                guard value.string == "auto" || value.string == "disabled" || value.pairs != nil else {
                    throw .invalidValue(param, got: value, supported: ["auto", "disabled"])
                }
                truncation = value
            case "prompt":
                guard value.isNull || value.pairs != nil else { throw .invalidType(param, expected: "an object", got: value) }
                prompt = value
            case "include":
                if !value.isNull { _ = try Self.strings(value, param: param, allowed: ["item.input_audio_transcription.logprobs"]) }
                include = value
            default: break
            }
        }
    }

    private mutating func applyGAAudio(_ audio: FakeJSON) throws(FakeRealtimeError) {
        let pairs = try Self.object(audio, param: "session.audio")
        try Self.checkKeys(pairs, allowed: ["input", "output"], in: "session.audio")
        if let input = Self.value("input", pairs) {
            let fields = try Self.object(input, param: "session.audio.input")
            try Self.checkKeys(fields, allowed: ["format", "transcription", "noise_reduction", "turn_detection"], in: "session.audio.input")
            for (key, value) in fields {
                let param = "session.audio.input.\(key)"
                switch key {
                case "format": inputFormat = try Self.gaFormat(value, param: param)
                case "transcription": transcription = try Self.transcription(value, param: param, models: nil)
                case "noise_reduction": noiseReduction = try Self.noiseReduction(value, param: param, types: ["near_field", "far_field"])
                case "turn_detection": turnDetection = try filledTurnDetection(value, param: param)
                default: break
                }
            }
        }
        if let output = Self.value("output", pairs) {
            let fields = try Self.object(output, param: "session.audio.output")
            try Self.checkKeys(fields, allowed: ["format", "voice", "speed"], in: "session.audio.output")
            for (key, value) in fields {
                let param = "session.audio.output.\(key)"
                switch key {
                case "format": outputFormat = try Self.gaFormat(value, param: param)
                case "voice":
                    let new: FakeJSON
                    if let name = value.string {
                        guard Self.openAIVoices.contains(name) else { throw .invalidValue(param, got: value, supported: Self.openAIVoices) }
                        new = value
                    } else if let fields = value.pairs {
                        try Self.checkKeys(fields, allowed: ["id"], in: param)
                        guard let id = Self.value("id", fields) else { throw .missing("\(param).id") }
                        _ = try Self.string(id, param: "\(param).id")
                        new = value
                    } else {
                        throw .invalidType(param, expected: "a string or an object", got: value)
                    }
                    if outputAudioStarted, new.text != voice.text {
                        throw FakeRealtimeError(
                            code: "cannot_update_voice",
                            message: "Cannot update a conversation's voice if assistant audio is present.", param: param)
                    }
                    voice = new
                case "speed":
                    guard let speed = value.double else { throw .invalidType(param, expected: "a number", got: value) }
                    guard (0.25...1.5).contains(speed) else { throw .outOfRange(param, value: speed, min: 0.25, max: 1.5, integer: false) }
                    self.speed = speed
                default: break
                }
            }
        }
    }

    private mutating func applyVoiceLive(_ pairs: [(String, FakeJSON)]) throws(FakeRealtimeError) {
        try Self.checkKeys(pairs, allowed: [
            "model", "modalities", "instructions", "voice", "input_audio_format", "output_audio_format",
            "input_audio_sampling_rate", "turn_detection", "input_audio_transcription", "input_audio_noise_reduction",
            "input_audio_echo_cancellation", "temperature", "max_response_output_tokens", "tools", "tool_choice",
        ], in: "session")
        var newInput = inputFormat
        var newOutput = outputFormat
        for (key, value) in pairs {
            let param = "session.\(key)"
            switch key {
            case "model": try checkModel(value, param: param)
            case "modalities":
                let list = try Self.strings(value, param: param, allowed: ["text", "audio", "avatar", "animation"])
                guard !list.isEmpty, !(list.contains("audio") && !list.contains("text")) else {
                    throw FakeRealtimeError(
                        code: "invalid_value",
                        message: "Invalid value: '\(value.text)'. Audio-only modality is not supported; use ['text', 'audio'].",
                        param: param)
                }
                modalities = list
            case "instructions": instructions = try Self.string(value, param: param)
            case "voice": voice = try Self.voiceLiveVoice(value, param: param)
            case "input_audio_format":
                switch try Self.string(value, param: param) {
                case "pcm16": newInput = .pcm16(newInput.encoding == .pcm16 ? newInput.sampleRateHz : 24000)
                case "g711_ulaw": newInput = .pcmu
                case "g711_alaw": newInput = .pcma
                default: throw .invalidValue(param, got: value, supported: ["pcm16", "g711_ulaw", "g711_alaw"])
                }
            case "output_audio_format":
                switch try Self.string(value, param: param) {
                case "pcm16": newOutput = .pcm16(24000)
                case "pcm16_8000hz": newOutput = .pcm16(8000)
                case "pcm16_16000hz": newOutput = .pcm16(16000)
                case "g711_ulaw": newOutput = .pcmu
                case "g711_alaw": newOutput = .pcma
                default:
                    throw .invalidValue(param, got: value, supported: ["pcm16", "pcm16_8000hz", "pcm16_16000hz", "g711_ulaw", "g711_alaw"])
                }
            case "turn_detection": turnDetection = try filledTurnDetection(value, param: param)
            case "input_audio_transcription":
                transcription = try Self.transcription(value, param: param, models: [
                    "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-transcribe-diarize",
                    "azure-speech", "mai-transcribe", "mai-transcribe-2",
                ])
            case "input_audio_noise_reduction":
                noiseReduction = try Self.noiseReduction(value, param: param, types: ["azure_deep_noise_suppression", "near_field", "far_field"])
            case "input_audio_echo_cancellation":
                if let fields = value.pairs {
                    if Self.value("channels", fields) != nil {
                        throw FakeRealtimeError(
                            code: "invalid_ec_channels_requires_client",
                            message: "'channels' requires the client_ec_reference feature.", param: "\(param).channels")
                    }
                    if Self.value("reference_source", fields) != nil {
                        throw FakeRealtimeError(
                            code: "invalid_ec_reference_channels",
                            message: "'reference_source' requires stereo pcm16 input with the client_ec_reference feature.",
                            param: "\(param).reference_source")
                    }
                    try Self.checkKeys(fields, allowed: ["type"], in: param)
                    guard let type = Self.value("type", fields), type.string == "server_echo_cancellation" else {
                        throw .invalidValue("\(param).type", got: Self.value("type", fields) ?? .null, supported: ["server_echo_cancellation"])
                    }
                } else if !value.isNull {
                    throw .invalidType(param, expected: "an object", got: value)
                }
                echoCancellation = value
            case "temperature":
                guard let t = value.double else { throw .invalidType(param, expected: "a number", got: value) }
                guard (0.6...1.2).contains(t) else { throw .outOfRange(param, value: t, min: 0.6, max: 1.2, integer: false) }
                temperature = t
            case "max_response_output_tokens": maxOutputTokens = try Self.maxTokens(value, param: param)
            case "tools": tools = try Self.array(value, param: param)
            case "tool_choice": toolChoice = try Self.stringOrObject(value, param: param)
            default: break
            }
        }
        // The rate goes with the format, whichever order the keys came in.
        if let rate = Self.value("input_audio_sampling_rate", pairs) {
            let param = "session.input_audio_sampling_rate"
            guard let hz = rate.int else { throw .invalidType(param, expected: "an integer", got: rate) }
            if newInput.encoding == .pcm16 {
                guard hz == 16000 || hz == 24000 else { throw .invalidValue(param, got: rate, supported: ["16000", "24000"]) }
                newInput = .pcm16(hz)
            } else if hz != 8000 {
                throw .invalidValue(param, got: rate, supported: ["8000"])
            }
        }
        if newInput != inputFormat, inputAudioStarted {
            throw FakeRealtimeError(
                code: "invalid_value", message: "The input audio format cannot be changed after audio has been received.",
                param: "session.input_audio_format")
        }
        if newOutput != outputFormat, outputAudioStarted {
            throw FakeRealtimeError(
                code: "invalid_value", message: "The output audio format cannot be changed after audio has been sent.",
                param: "session.output_audio_format")
        }
        inputFormat = newInput
        outputFormat = newOutput
    }

    private func checkModel(_ value: FakeJSON, param: String) throws(FakeRealtimeError) {
        guard value.string == model else {
            throw FakeRealtimeError(
                code: "invalid_value", message: "The model cannot be changed by session.update (it is '\(model)').", param: param)
        }
    }

    /// Validates a `turn_detection` value and fills in the server defaults for its type.
    private func filledTurnDetection(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeJSON {
        if value.isNull { return .null }
        let fields = try Self.object(value, param: param)
        guard let typeValue = Self.value("type", fields) else { throw .missing("\(param).type") }
        let types = dialect == .ga
            ? ["server_vad", "semantic_vad"]
            : ["server_vad", "semantic_vad", "azure_semantic_vad", "azure_semantic_vad_multilingual"]
        guard let type = typeValue.string, types.contains(type) else { throw .invalidValue("\(param).type", got: typeValue, supported: types) }
        // Key, default (nil: only when sent).
        var schema: [(String, FakeJSON?)] = [("type", typeValue)]
        switch (dialect, type) {
        case (.ga, "server_vad"):
            schema += [("threshold", 0.5), ("prefix_padding_ms", 300), ("silence_duration_ms", .int(defaultSilenceMs)),
                       ("idle_timeout_ms", .null)]
        case (_, "semantic_vad"):
            schema += [("eagerness", "auto")]
        case (.voiceLive, "server_vad"):
            schema += [("threshold", 0.5), ("prefix_padding_ms", apiVersion >= "2026-04-10" ? 400 : 300),
                       ("silence_duration_ms", .int(defaultSilenceMs)), ("speech_duration_ms", 200),
                       ("end_of_utterance_detection", nil)]
        default:
            schema += [("threshold", 0.5), ("prefix_padding_ms", 420), ("silence_duration_ms", .int(defaultSilenceMs)),
                       ("speech_duration_ms", 80), ("remove_filler_words", false), ("languages", nil),
                       ("end_of_utterance_detection", nil)]
        }
        schema += [("create_response", true), ("interrupt_response", .bool(defaultInterruptResponse))]
        if dialect == .voiceLive { schema += [("auto_truncate", false)] }
        try Self.checkKeys(fields, allowed: schema.map(\.0), in: param)
        var out: [(String, FakeJSON)] = []
        for (key, fallback) in schema {
            let sent = Self.value(key, fields)
            let p = "\(param).\(key)"
            if let sent {
                switch key {
                case "threshold":
                    guard let t = sent.double else { throw .invalidType(p, expected: "a number", got: sent) }
                    guard (0...1).contains(t) else { throw .outOfRange(p, value: t, min: 0, max: 1, integer: false) }
                case "prefix_padding_ms", "silence_duration_ms", "speech_duration_ms":
                    guard let ms = sent.int else { throw .invalidType(p, expected: "an integer", got: sent) }
                    guard ms >= 0 else { throw .outOfRange(p, value: Double(ms), min: 0, max: nil, integer: true) }
                case "idle_timeout_ms":
                    guard sent.isNull || sent.int.map({ $0 >= 0 }) == true else { throw .invalidType(p, expected: "an integer", got: sent) }
                case "create_response", "interrupt_response", "auto_truncate", "remove_filler_words":
                    guard sent.bool != nil else { throw .invalidType(p, expected: "a boolean", got: sent) }
                case "eagerness":
                    guard let e = sent.string, ["low", "medium", "high", "auto"].contains(e) else {
                        throw .invalidValue(p, got: sent, supported: ["low", "medium", "high", "auto"])
                    }
                default: break
                }
                out.append((key, sent))
            } else if let fallback {
                out.append((key, fallback))
            }
        }
        return .object(out)
    }

    // MARK: Shape helpers

    static func value(_ key: String, _ pairs: [(String, FakeJSON)]) -> FakeJSON? { pairs.first { $0.0 == key }?.1 }

    static func checkKeys(_ pairs: [(String, FakeJSON)], allowed: [String], in prefix: String) throws(FakeRealtimeError) {
        for (key, _) in pairs where !allowed.contains(key) { throw .unknownParameter("\(prefix).\(key)") }
    }

    static func object(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> [(String, FakeJSON)] {
        guard let pairs = value.pairs else { throw .invalidType(param, expected: "an object", got: value) }
        return pairs
    }

    static func string(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> String {
        guard let s = value.string else { throw .invalidType(param, expected: "a string", got: value) }
        return s
    }

    static func array(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeJSON {
        guard value.array != nil else { throw .invalidType(param, expected: "an array", got: value) }
        return value
    }

    static func stringOrObject(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeJSON {
        guard value.string != nil || value.pairs != nil else { throw .invalidType(param, expected: "a string or an object", got: value) }
        return value
    }

    static func strings(_ value: FakeJSON, param: String, allowed: [String]) throws(FakeRealtimeError) -> [String] {
        guard let items = value.array else { throw .invalidType(param, expected: "an array", got: value) }
        var out: [String] = []
        for item in items {
            guard let s = item.string, allowed.contains(s) else { throw .invalidValue(param, got: item, supported: allowed) }
            out.append(s)
        }
        return out
    }

    static func maxTokens(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeJSON {
        if value.string == "inf" { return value }
        guard let n = value.int else { throw .invalidType(param, expected: "an integer or 'inf'", got: value) }
        guard (1...4096).contains(n) else { throw .outOfRange(param, value: Double(n), min: 1, max: 4096, integer: true) }
        return value
    }

    /// GA format object: `{type:"audio/pcmu"}`, `{type:"audio/pcma"}` or `{type:"audio/pcm", rate:24000}`.
    static func gaFormat(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeAudioFormat {
        let fields = try object(value, param: param)
        guard let type = Self.value("type", fields) else { throw .missing("\(param).type") }
        switch type.string {
        case "audio/pcmu", "audio/pcma":
            try checkKeys(fields, allowed: ["type"], in: param)
            return type.string == "audio/pcmu" ? .pcmu : .pcma
        case "audio/pcm":
            try checkKeys(fields, allowed: ["type", "rate"], in: param)
            if let rate = Self.value("rate", fields), rate.int != 24000 {
                throw .invalidValue("\(param).rate", got: rate, supported: ["24000"])
            }
            return .pcm16(24000)
        default:
            throw .invalidValue("\(param).type", got: type, supported: ["audio/pcm", "audio/pcmu", "audio/pcma"])
        }
    }

    static func transcription(_ value: FakeJSON, param: String, models: [String]?) throws(FakeRealtimeError) -> FakeJSON {
        if value.isNull { return value }
        let fields = try object(value, param: param)
        try checkKeys(fields, allowed: models == nil ? ["model", "language", "prompt"] : ["model", "language", "prompt", "phrase_list"], in: param)
        if let model = Self.value("model", fields) {
            let name = try string(model, param: "\(param).model")
            if let models, !models.contains(name) { throw .invalidValue("\(param).model", got: model, supported: models) }
        }
        return value
    }

    static func noiseReduction(_ value: FakeJSON, param: String, types: [String]) throws(FakeRealtimeError) -> FakeJSON {
        if value.isNull { return value }
        let fields = try object(value, param: param)
        try checkKeys(fields, allowed: ["type"], in: param)
        guard let type = Self.value("type", fields), let name = type.string, types.contains(name) else {
            throw .invalidValue("\(param).type", got: Self.value("type", fields) ?? .null, supported: types)
        }
        return value
    }

    /// Voice Live voice object: `{type:"openai"|"azure-standard"|…, name, …}`.
    static func voiceLiveVoice(_ value: FakeJSON, param: String) throws(FakeRealtimeError) -> FakeJSON {
        let fields = try object(value, param: param)
        let types = ["openai", "azure-standard", "azure-custom", "azure-personal", "azure-realtime-native"]
        guard let typeValue = Self.value("type", fields) else { throw .missing("\(param).type") }
        guard let type = typeValue.string, types.contains(type) else { throw .invalidValue("\(param).type", got: typeValue, supported: types) }
        guard let nameValue = Self.value("name", fields) else { throw .missing("\(param).name") }
        let name = try string(nameValue, param: "\(param).name")
        switch type {
        case "openai":
            try checkKeys(fields, allowed: ["type", "name"], in: param)
            guard openAIVoices.contains(name) else { throw .invalidValue("\(param).name", got: nameValue, supported: openAIVoices) }
        case "azure-custom":
            guard Self.value("endpoint_id", fields) != nil else { throw .missing("\(param).endpoint_id") }
        case "azure-personal":
            guard Self.value("model", fields) != nil else { throw .missing("\(param).model") }
        default: break
        }
        return value
    }
}
