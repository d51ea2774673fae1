import MediaGraph
import MediaTesting
import Testing

/// A node defined here, outside MediaGraph, through its public API only: it records what the call
/// tells it and posts an event of its own on every 50th frame.
final class ControlRecorderNode: MediaNode {
    let name = "control-recorder"
    private let scope: GraphScope
    private var events: EventLane?
    private var frames: UInt64 = 0
    private(set) var flushes = 0
    private(set) var bargeIns = 0
    private(set) var settings = 0
    private(set) var lastSetting: Double?

    init(scope: GraphScope) { self.scope = scope }

    func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        events = try scope.events()
        _ = try scope.voiceActivity(for: name)
        return input
    }

    func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        frames += 1
        if frames % 50 == 0 { events?.post(.node(NodeEvent("tick", detail: "second", value: Double(frames), mediaMs: frames * 20))) }
    }

    func control(_ message: NodeControl) {
        switch message {
        case .flush: flushes += 1
        case .bargeIn: bargeIns += 1
        case let .setting(setting) where setting.key == "gain-db":
            settings += 1
            lastSetting = setting.value
        case .setting: break
        }
    }

    static let catalog: NodeCatalog = {
        var catalog = NodeCatalog.builtIn
        try! catalog.register("control-recorder") { ControlRecorderNode(scope: $0.scope) }
        return catalog
    }()
}

@Suite struct NodeCatalogTests {
    @Test func aCatalogTakesNewNamesOnly() throws {
        var catalog = NodeCatalog.builtIn
        #expect(!catalog.contains("control-recorder"))
        try catalog.register("control-recorder") { ControlRecorderNode(scope: $0.scope) }
        #expect(catalog.contains("control-recorder") && catalog.names.count == NodeCatalog.builtIn.names.count + 1)
        #expect(throws: GraphBuildError.badSpec("a node named 'vad' is already in the catalog")) {
            try catalog.register("vad") { ControlRecorderNode(scope: $0.scope) }
        }
        #expect(throws: GraphBuildError.self) { try catalog.register("two words") { ControlRecorderNode(scope: $0.scope) } }
        var recorderOnly = NodeCatalog()
        try recorderOnly.register("control-recorder") { ControlRecorderNode(scope: $0.scope) }
        #expect(try NodeCatalog.builtIn.adding(recorderOnly).names == catalog.names)
        #expect(throws: GraphBuildError.badSpec("a node named 'control-recorder' is already in the catalog")) {
            try catalog.adding(recorderOnly)
        }
        // The built-in catalog never names it: a spec that does is refused, listing what it knows.
        #expect(throws: GraphBuildError.unknownNode("control-recorder", known: NodeCatalog.builtIn.names)) {
            try Graph(spec: GraphSpec(parsing: "vad, control-recorder; "), providerFormat: .telephonyMuLaw)
        }
    }

    @Test func aMissingUpstreamNodeIsItsOwnError() {
        #expect(throws: GraphBuildError.missingDependency(node: "control-recorder", needs: "a 'vad' node (or another VAD) before it on the uplink")) {
            try Graph(spec: GraphSpec(parsing: "control-recorder, vad; "), providerFormat: .telephonyMuLaw, nodes: ControlRecorderNode.catalog)
        }
    }

    @Test func specsAreTypedAndWriteThemselvesBack() throws {
        let spec = try GraphSpec(name: "x", parsing: "vad(hangover-ms=500, min-speech-ms=40), control-recorder;\n echo-reference")
        #expect(spec.uplink.map(\.name) == ["vad", "control-recorder"])
        #expect(spec.text == "vad(hangover-ms=500, min-speech-ms=40), control-recorder; echo-reference")
        #expect(try GraphSpec(parsing: spec.text).uplink == spec.uplink)
        #expect(GraphSpec.standard.text == "resample(rate=processing), apm, vad, barge-in, resample(rate=agent); resample(rate=processing), echo-reference, playback-monitor")
    }

    /// Control messages cross the control lane to the media thread and reach the nodes they are
    /// for; a node's own events come back on the event lane with their texts and numbers.
    @Test func controlReachesTheNodesAndTheirEventsComeBack() throws {
        let spec = try GraphSpec(name: "x", parsing: "mulaw-decode, vad, control-recorder; mulaw-encode")
        let harness = try EchoHarness(spec: spec, nodes: ControlRecorderNode.catalog)
        let silence = [UInt8](repeating: 0xFF, count: 160)
        for _ in 0..<50 { _ = harness.roundTrip(silence) }
        #expect(harness.call.setNodeSetting(try #require(NodeSetting(node: "control-recorder", key: "gain-db", value: -6))))
        #expect(harness.call.setNodeSetting(try #require(NodeSetting(node: "vad", key: "gain-db", value: 9))))
        #expect(harness.call.flushDownlink(bargeIn: true))
        #expect(harness.call.flushDownlink())
        for _ in 0..<50 { _ = harness.roundTrip(silence) }
        var events: [MediaEvent] = []
        harness.call.graph.events.drain { events.append($0) }
        harness.close()
        #expect(events == [.node(NodeEvent("tick", detail: "second", value: 50, mediaMs: 1000)),
                           .node(NodeEvent("tick", detail: "second", value: 100, mediaMs: 2000))])
        let node = try #require(harness.call.graph.uplink.nodes.last as? ControlRecorderNode)
        #expect(node.settings == 1 && node.lastSetting == -6, "only the setting for its name")
        #expect(node.bargeIns == 1, "uplink nodes hear the barge-in, not the plain flush")
        #expect(node.flushes == 0, "flushes are for the downlink")
        #expect(NodeSetting(node: String(repeating: "n", count: 32), key: "k", value: 0) == nil)
        #expect(ShortText(String("gain-db")) == "gain-db" && ShortText("gain-db").description == "gain-db")
    }
}
