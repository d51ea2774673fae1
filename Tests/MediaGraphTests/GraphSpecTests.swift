import CAudio
import MediaGraph
import Testing

/// Graph specs in text form and per-node settings: what `--graph` and researchers write.
@Suite struct GraphSpecTests {
    /// Builds `entry` alone on an 8 kHz PCM chain and returns the node (prepared).
    static func node(_ entry: String, scope: GraphScope = GraphScope(), input: AudioFormat = .pcm8k,
                     agentRateHz: Int = 16000) throws -> any MediaNode {
        let node = try NodeCatalog.builtIn.make(NodeSpec(parsing: entry), scope: scope, providerRateHz: 8000, agentRateHz: agentRateHz)
        _ = try NodeChain(nodes: [node], input: input)
        return node
    }

    @Test func textFormRoundTripsAndBuilds() throws {
        let spec = try GraphSpec(parsing: " mulaw-decode , apm(ns=very-high, agc=on), vad(hangover-ms=500),barge-in ; mulaw-encode ")
        #expect(spec.uplink == ["mulaw-decode", "apm(ns=very-high, agc=on)", "vad(hangover-ms=500)", "barge-in"])
        #expect(spec.downlink == ["mulaw-encode"])
        #expect(try GraphSpec(parsing: spec.text).uplink == spec.uplink)
        let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        #expect(graph.agentHears == .pcm8k)
        #expect(try GraphSpec.named(GraphSpec.standard.text).uplink == GraphSpec.standard.uplink)
        #expect(try GraphSpec.named("wideband").name == "wideband")
    }

    @Test func malformedSpecsAreClearErrors() {
        #expect(throws: GraphBuildError.badSpec("'mulaw-decode': write the uplink nodes, ';', then the downlink nodes")) {
            try GraphSpec(parsing: "mulaw-decode")
        }
        #expect(throws: GraphBuildError.badSpec("'apm(ns=high': a node's settings end with ')'")) { try GraphSpec(parsing: "apm(ns=high; x") }
        #expect(throws: GraphBuildError.badSpec("'apm(ns)': settings are key=value pairs separated by commas")) {
            try GraphSpec(parsing: "apm(ns); mulaw-encode")
        }
        #expect(throws: GraphBuildError.badSpec("'apm(ns=low, ns=high)': 'ns' is set twice")) {
            try GraphSpec(parsing: "apm(ns=low, ns=high); mulaw-encode")
        }
        #expect(throws: GraphBuildError.badSpec("'a b': a node name is letters, digits and dashes")) { try GraphSpec(parsing: "a b; c") }
    }

    @Test func settingsAreCheckedAndNamed() {
        #expect(throws: GraphBuildError.unknownParameter(node: "apm", parameter: "nss")) { try Self.node("apm(nss=high)") }
        #expect(throws: GraphBuildError.badParameter(node: "apm", parameter: "ns", value: "loud",
                                                     expected: "one of off, low, moderate, high, very-high")) {
            try Self.node("apm(ns=loud)")
        }
        #expect(throws: GraphBuildError.badParameter(node: "apm", parameter: "aec-delay", value: "soon",
                                                     expected: "auto or milliseconds from 0 to 500")) {
            try Self.node("apm(aec-delay=soon)")
        }
        #expect(throws: GraphBuildError.badParameter(node: "vad", parameter: "hangover-ms", value: "5",
                                                     expected: "an integer from 10 to 5000")) {
            try Self.node("vad(hangover-ms=5)")
        }
        #expect(throws: GraphBuildError.badParameter(node: "resample", parameter: "rate", value: "(missing)",
                                                     expected: "agent, provider, processing or a rate in Hz")) {
            try Self.node("resample")
        }
        #expect(throws: GraphBuildError.badParameter(node: "resample", parameter: "rate", value: "22050",
                                                     expected: "agent, provider, processing or one of 8000, 16000, 24000, 48000")) {
            try Self.node("resample(rate=22050)")
        }
        #expect(throws: GraphBuildError.unknownParameter(node: "mulaw-encode", parameter: "gain")) {
            try Graph(spec: GraphSpec(parsing: "mulaw-decode; mulaw-encode(gain=2)"), providerFormat: .telephonyMuLaw)
        }
        let message = GraphBuildError.badParameter(node: "apm", parameter: "ns", value: "loud", expected: "one of off, low").description
        #expect(message == "node 'apm': ns=loud is not accepted; it expects one of off, low")
    }

    /// Each call's audio processor is configured from the spec's settings.
    @Test func apmSettingsReachTheProcessor() throws {
        let scope = GraphScope()
        _ = try Self.node("apm(aec=off, ns=low, agc=on, hpf=off, vad=high, aec-delay=120)", scope: scope)
        var expected = AudioProcessor.Settings()
        expected.echoCancellation = false
        expected.noiseSuppression = 1
        expected.gainControl = true
        expected.highPass = false
        expected.voiceDetection = 4
        expected.echoDelayMs = 120
        #expect(scope.existing(AudioProcessor.self)?.settings == expected)
        // A VAD after it reads that processor's detector; a different likelihood on it is a contradiction.
        #expect(throws: GraphBuildError.self) { try Self.node("vad(likelihood=low)", scope: scope) }
        let vad = try Self.node("vad(min-speech-ms=40, hangover-ms=200)", scope: scope) as! VoiceActivityNode
        #expect(vad.settings == .init(minimumSpeechMs: 40, hangoverMs: 200))
    }

    /// `rate=agent` / `rate=provider` resolve per graph; at equal rates a resampler is a plain copy.
    @Test func resampleRatesResolveAndEqualRatesCopy() throws {
        let up = try Self.node("resample(rate=agent, quality=fastest)", agentRateHz: 16000) as! ResampleNode
        #expect(up.outputRateHz == 16000 && up.quality == VD_RESAMPLER_FASTEST)
        let same = try Self.node("resample(rate=agent)", agentRateHz: 8000) as! ResampleNode
        #expect(same.delayFrames == 0)
        let chain = try NodeChain(nodes: [same], input: .pcm8k)
        chain.input.pointee.sampleCount = 160
        for i in 0..<160 { chain.input.pointee.pcm16[i] = Int16(i * 100 - 8000) }
        chain.run()
        #expect(chain.output.pointee.pcm16.elementsEqual(chain.input.pointee.pcm16))
        // The standard preset with an 8 kHz agent runs no resampler at all; with 16 kHz it converts both ways.
        #expect(try Graph(spec: .standard, providerFormat: .telephonyMuLaw).agentHears == .pcm8k)
        #expect(try Graph(spec: .standard, providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: 16000)).agentHears
            == AudioFormat(encoding: .pcm16, sampleRateHz: 16000))
    }
}
