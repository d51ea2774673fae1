import Foundation
import MediaGraph
import Testing

@Suite struct GraphBuildTests {
    @Test func passthroughBetweenMuLawSidesRunsNoNode() throws {
        let graph = try Graph(spec: .passthrough, providerFormat: .telephonyMuLaw)
        #expect(graph.providerFormat == .telephonyMuLaw)
        #expect(graph.agentHears == .telephonyMuLaw)
        #expect(graph.agentSpeaks == .telephonyMuLaw)
        #expect(graph.nodeTimings.isEmpty)
    }

    /// The graph converts at its edges to what the agent hears and from what it speaks.
    @Test func edgesConvertToAndFromTheAgentsFormats() throws {
        let pcm24 = AudioFormat(encoding: .pcm16, sampleRateHz: 24000)
        let both = try Graph(spec: .passthrough, providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: 24000))
        #expect(both.nodeTimings.map(\.node) == ["uplink.mulaw-decode", "uplink.resample-24k", "downlink.resample-8k", "downlink.mulaw-encode"])
        let mixed = try Graph(spec: .passthrough, providerFormat: .telephonyMuLaw, agent: AgentAudio(hears: .telephonyMuLaw, speaks: pcm24))
        #expect(mixed.agentHears == .telephonyMuLaw)
        #expect(mixed.agentSpeaks == pcm24)
        #expect(mixed.nodeTimings.map(\.node) == ["downlink.resample-8k", "downlink.mulaw-encode"])
        let standard = try Graph(spec: .standard, providerFormat: .telephonyMuLaw, agent: AgentAudio(hears: .telephonyMuLaw, speaks: .telephonyMuLaw))
        // Resamplers already at their rate are left out.
        #expect(standard.nodeTimings.map(\.node) == ["uplink.mulaw-decode", "uplink.apm", "uplink.vad", "uplink.barge-in",
                                                      "uplink.mulaw-encode", "downlink.mulaw-decode",
                                                      "downlink.echo-reference", "downlink.playback-monitor", "downlink.mulaw-encode"])
    }

    /// One spec serves every provider format: μ-law, A-law and PCM at 8 to 48 kHz; wider providers
    /// are processed at 16 kHz.
    @Test func presetsBuildForEveryProviderFormat() throws {
        let formats = [AudioFormat.telephonyMuLaw, AudioFormat(encoding: .alaw, sampleRateHz: 8000)]
            + [8000, 16000, 24000, 48000].map { AudioFormat(encoding: .pcm16, sampleRateHz: $0) }
        for format in formats {
            for (name, spec) in GraphSpec.presets {
                let graph = try Graph(spec: spec, providerFormat: format, agent: .pcm(rateHz: 24000))
                #expect(graph.providerFormat == format, "\(name) \(format)")
                #expect(graph.agentHears == AudioFormat(encoding: .pcm16, sampleRateHz: 24000))
            }
        }
        let pcm24 = try Graph(spec: .standard, providerFormat: AudioFormat(encoding: .pcm16, sampleRateHz: 24000), agent: .pcm(rateHz: 24000))
        #expect(pcm24.nodeTimings.map(\.node) == ["uplink.resample-16k", "uplink.apm", "uplink.vad", "uplink.barge-in", "uplink.resample-24k",
                                                   "downlink.resample-16k", "downlink.echo-reference", "downlink.playback-monitor",
                                                   "downlink.resample-24k"])
        let alaw = try Graph(spec: .standard, providerFormat: AudioFormat(encoding: .alaw, sampleRateHz: 8000))
        #expect(alaw.nodeTimings.map(\.node).first == "uplink.alaw-decode")
        #expect(alaw.nodeTimings.map(\.node).last == "downlink.alaw-encode")
    }

    @Test func everyPresetBuildsForTwilio() throws {
        for (name, spec) in GraphSpec.presets {
            let graph = try Graph(spec: spec, providerFormat: .telephonyMuLaw)
            #expect(graph.providerFormat == .telephonyMuLaw, "\(name)")
        }
        #expect(try Graph(spec: .full, providerFormat: .telephonyMuLaw).levelMeters.map(\.name) == ["level-meter", "level-meter-out"])
    }

    @Test func levelMeterCountsRMSAndClipping() throws {
        let meter = LevelMeterNode()
        let chain = try NodeChain(nodes: [meter], input: .pcm8k)
        // A full-scale square wave (every sample clipped), then a 1 kHz sine at amplitude 8000.
        chain.input.pointee.sampleCount = 160
        let pcm = chain.input.pointee.pcm16
        for i in 0..<160 { pcm[i] = i % 2 == 0 ? .max : .min }
        chain.run()
        #expect(meter.clippedSamples == 160)
        #expect(abs(meter.lastRMS - 32767.5) < 1)
        for i in 0..<160 { pcm[i] = Int16(8000 * sin(2 * Double.pi * 1000 * Double(i) / 8000)) }
        chain.run()
        #expect(meter.clippedSamples == 160)
        #expect(abs(meter.lastRMS - 8000 / 2.0.squareRoot()) < 10)
        #expect(meter.frames == 2)
        #expect(meter.peakRMS > 32000)
        #expect(chain.output.pointee.pcm16.elementsEqual(pcm), "audio passes unchanged")
    }

    @Test func formatMismatchNamesTheNodeAndBothFormats() {
        // The spec's own decoder takes the provider's μ-law; the encoder after it gets PCM, not μ-law.
        let spec = GraphSpec(name: "bad", uplink: ["mulaw-decode", "mulaw-encode", "mulaw-encode"], downlink: [])
        #expect(throws: GraphBuildError.unsupportedFormat(node: "mulaw-encode", input: .telephonyMuLaw, expected: "pcm16 at any rate")) {
            try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        }
        let message = GraphBuildError.unsupportedFormat(node: "mulaw-encode", input: .telephonyMuLaw, expected: "pcm16 at any rate").description
        #expect(message == "node 'mulaw-encode' cannot take mulaw 8000 Hz mono; it expects pcm16 at any rate")
    }

    /// Opus converts like G.711: a downlink that ends in Opus is decoded for a μ-law provider, and an
    /// Opus provider (Telnyx OPUS) gets a decoder before the spec and an encoder after it.
    @Test func opusIsConvertedAtTheEdges() throws {
        let spec = GraphSpec(name: "opus", uplink: [], downlink: ["opus-encode"])
        let toMuLaw = try Graph(spec: spec, providerFormat: .telephonyMuLaw, agent: .pcm(rateHz: 8000))
        #expect(toMuLaw.downlink.nodes.map(\.name) == ["opus-encode", "opus-decode", "mulaw-encode"])
        let opus = AudioFormat(encoding: .opus, sampleRateHz: 16000)
        let standard = try Graph(spec: try GraphSpec.named("standard"), providerFormat: opus, agent: .pcm(rateHz: 24000))
        #expect(standard.uplink.nodes.first?.name == "opus-decode")
        #expect(standard.downlink.nodes.last?.name == "opus-encode")
        let passthrough = try Graph(spec: try GraphSpec.named("passthrough"), providerFormat: opus)
        #expect(passthrough.agentHears == AudioFormat(encoding: .pcm16, sampleRateHz: 16000), "agents never hear Opus packets")
        #expect(passthrough.downlink.nodes.map(\.name) == ["opus-encode"])
    }

    @Test func unknownNamesAreClearErrors() {
        #expect(throws: GraphBuildError.unknownNode("denoise", known: NodeCatalog.builtIn.names)) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["denoise"], downlink: []), providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.unknownPreset("fancy")) { try GraphSpec.named("fancy") }
        #expect(GraphBuildError.unknownNode("denoise", known: NodeCatalog.builtIn.names).description.contains("mulaw-decode"))
    }
}
