@testable import Bridge
import MediaGraph
import Testing

/// Which graph a call runs: the one it names, else its agent profile's, else its provider route's,
/// else the server's default; a name the server does not have is refused.
@Suite struct GraphDirectoryTests {
    static let quiet = try! GraphSpec(name: "quiet", parsing: "vad; ")
    static let loud = try! GraphSpec(name: "loud", parsing: "apm; echo-reference")

    static func start(provider: String, graph: String? = nil) -> ProviderCallStart {
        ProviderCallStart(provider: provider, callID: "c", streamID: "s", customParameters: graph.map { ["graph": $0] } ?? [:], formatDescription: "audio/x-mulaw")
    }

    @Test func aCallsChoiceThenItsProfileThenItsRouteThenTheDefault() throws {
        let graphs = try GraphDirectory(configured: ["quiet": Self.quiet, "loud": Self.loud], defaultGraph: .standard,
                                        routes: GraphRoutes(byAgent: ["bot": "quiet"], byProvider: ["telnyx": "loud", "twilio": "full"]))
        #expect(try graphs.spec(for: Self.start(provider: "telnyx", graph: "passthrough"), agent: "bot").name == "passthrough")
        #expect(try graphs.spec(for: Self.start(provider: "telnyx"), agent: "bot").name == "quiet")
        #expect(try graphs.spec(for: Self.start(provider: "telnyx"), agent: "demo").name == "loud")
        #expect(try graphs.spec(for: Self.start(provider: "twilio"), agent: "demo").name == "full")
        #expect(try graphs.spec(for: Self.start(provider: "plivo"), agent: "demo").name == "standard")
        #expect(throws: ProviderProtocolError.self) { try graphs.spec(for: Self.start(provider: "plivo", graph: "vad; "), agent: "demo") }
    }

    @Test func aRouteToAGraphThereIsNotStopsTheServer() {
        #expect { try GraphDirectory(configured: [:], defaultGraph: .standard, routes: GraphRoutes(byProvider: ["acs": "quiet"])) }
            throws: { "\($0)" == "providers.acs.graph: no graph named 'quiet' (known: full, neural, passthrough, standard, wideband)" }
    }
}
