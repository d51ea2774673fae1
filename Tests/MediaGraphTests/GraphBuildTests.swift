import MediaGraph
import Testing

@Suite struct GraphBuildTests {
    @Test func passthroughNegotiatesFormats() throws {
        let graph = try Graph(spec: .passthrough, providerFormat: .telephonyMuLaw)
        #expect(graph.providerFormat == .telephonyMuLaw)
        #expect(graph.agentFormat == .pcm8k)
        #expect(graph.nodeTimings.map(\.node) == ["mulaw-decode", "mulaw-encode"])
    }

    @Test func formatMismatchNamesTheNodeAndBothFormats() {
        let spec = GraphSpec(name: "bad", uplink: ["mulaw-encode"], downlink: [])
        #expect(throws: GraphBuildError.unsupportedFormat(node: "mulaw-encode", input: .telephonyMuLaw, expected: "pcm16 at any rate")) {
            try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        }
        let message = GraphBuildError.unsupportedFormat(node: "mulaw-encode", input: .telephonyMuLaw, expected: "pcm16 at any rate").description
        #expect(message == "node 'mulaw-encode' cannot take mulaw 8000 Hz mono; it expects pcm16 at any rate")
    }

    @Test func downlinkMustEndInTheProviderFormat() {
        let spec = GraphSpec(name: "half", uplink: ["mulaw-decode"], downlink: [])
        #expect(throws: GraphBuildError.downlinkMismatch(produces: .pcm8k, providerPlays: .telephonyMuLaw)) {
            try Graph(spec: spec, providerFormat: .telephonyMuLaw)
        }
    }

    @Test func unknownNamesAreClearErrors() {
        #expect(throws: GraphBuildError.unknownNode("denoise")) {
            try Graph(spec: GraphSpec(name: "x", uplink: ["denoise"], downlink: []), providerFormat: .telephonyMuLaw)
        }
        #expect(throws: GraphBuildError.unknownPreset("fancy")) { try GraphSpec.preset(named: "fancy") }
        #expect(GraphBuildError.unknownNode("denoise").description.contains("mulaw-decode"))
    }
}
