/// The uplink half of webrtc audio processing: echo-cancels (against what ``EchoReferenceNode``
/// recorded on the downlink), denoises, high-passes and optionally levels the caller's audio, and
/// runs webrtc's VAD. PCM16 mono at 8 or 16 kHz in and out, no added delay beyond webrtc's own.
///
/// - Threading: see ``MediaNode``.
/// - Ownership: the ``AudioProcessor`` belongs to the graph's ``GraphScope``.
/// - Realtime: `process` is safe.
public final class AudioProcessingNode: MediaNode {
    public let name = "apm"
    private let scope: GraphScope
    private let settings: AudioProcessor.Settings
    private var processor: AudioProcessor?

    public init(scope: GraphScope, settings: AudioProcessor.Settings = .init()) {
        self.scope = scope
        self.settings = settings
    }

    /// From a spec: `apm(aec=on, aec-delay=auto, aec-suppression=high, ns=high, agc=off, hpf=on,
    /// vad=low)` (the defaults); `aec-delay=N` makes the canceller trust N ms instead of measuring
    /// the echo path delay (see ``AudioProcessor/Settings/echoDelayMs``).
    public convenience init(_ context: inout NodeContext) throws(GraphBuildError) {
        var s = AudioProcessor.Settings()
        s.echoCancellation = try context.parameters.flag("aec", default: s.echoCancellation)
        s.echoSuppression = try context.parameters.choice("aec-suppression", default: s.echoSuppression, AudioProcessor.Settings.suppressions)
        s.noiseSuppression = try context.parameters.choice("ns", default: s.noiseSuppression,
                                                           ["off": 0, "low": 1, "moderate": 2, "high": 3, "very-high": 4])
        s.gainControl = try context.parameters.flag("agc", default: s.gainControl)
        s.highPass = try context.parameters.flag("hpf", default: s.highPass)
        s.voiceDetection = try context.parameters.choice("vad", default: s.voiceDetection, AudioProcessor.Settings.likelihoods)
        if let delay = context.parameters.string("aec-delay") {
            if delay.lowercased() == "auto" {
                s.echoDelayMs = nil
            } else if let ms = Int32(delay), (0...500).contains(ms) {
                s.echoDelayMs = ms
            } else {
                throw .badParameter(node: "apm", parameter: "aec-delay", value: delay, expected: "auto or milliseconds from 0 to 500")
            }
        }
        self.init(scope: context.scope, settings: s)
    }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard input.encoding == .pcm16, input.channels == 1, input.sampleRateHz == 8000 || input.sampleRateHz == 16000 else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at 8000 or 16000 Hz")
        }
        let settings = settings
        processor = try scope.shared(AudioProcessor.self) { () throws(GraphBuildError) in
            try AudioProcessor(sampleRateHz: input.sampleRateHz, settings: settings)
        }
        return input
    }

    /// The processor's whole cost, its far end (fed by `echo-reference`) included.
    public var instructionsPerFrame: Int { processor?.instructionsPerFrame ?? FrameCost.unmeasured }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        processor!.processNearEnd(output.pcm16)
    }
}
