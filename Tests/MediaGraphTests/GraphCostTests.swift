import Foundation
import ExampleNodes
import MediaGraph
import Testing
import MediaTesting

/// The costs nodes declare (``MediaNode/instructionsPerFrame``), which the server's admission
/// control adds up, against what callgrind counts (Benchmarks/Instructions/thresholds.txt, kept
/// current by scripts/instructions in CI).
@Suite struct GraphCostTests {
    struct Measured {
        var agentRateHz: Int?
        var instructions: Int
        var graph: String
    }

    static func measured() throws -> [Measured] {
        let path = TestSpeech.repositoryRoot.appendingPathComponent("Benchmarks/Instructions/thresholds.txt").path
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: " ", maxSplits: 2)
            return Measured(agentRateHz: Int(fields[0]), instructions: Int(fields[1])!, graph: String(fields[2]))
        }
    }

    @Test func everyMeasuredGraphDeclaresItsCostWithinAQuarter() throws {
        let lines = try Self.measured()
        #expect(lines.count >= 15)
        for line in lines {
            let graph = try Graph(spec: GraphSpec.named(line.graph), providerFormat: .telephonyMuLaw,
                                  agent: line.agentRateHz.map { .pcm(rateHz: $0) } ?? .natural,
                                  nodes: NodeCatalog.builtIn.adding(ExampleNodes.catalog))
            let declared = graph.instructionsPerFrame
            // Tiny graphs (passthrough: the chain's own clock reads) are allowed a fixed slack.
            let low = Double(line.instructions) * 0.8 - 2_000, high = Double(line.instructions) * 1.25 + 2_000
            #expect((low...high).contains(Double(declared)),
                    "\(line.graph) (agent \(line.agentRateHz.map(String.init) ?? "natural")): declares \(declared), callgrind counts \(line.instructions)")
        }
    }

    @Test func presetsRankAsTheyCost() throws {
        func cost(_ spec: GraphSpec) throws -> Int { try Graph(spec: spec, providerFormat: .telephonyMuLaw).instructionsPerFrame }
        #expect(try cost(.passthrough) == 0)
        #expect(try cost(.standard) < cost(.full))
        #expect(try cost(.full) * 5 < cost(.wideband))
    }
}
