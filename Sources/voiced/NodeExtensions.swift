import ExampleNodes
import MediaGraph

/// The nodes `voiced` builds graphs from: its own, plus every node package wired in here. To add
/// yours, name its target in the `voiced` target's dependencies (Package.swift) and add its catalog
/// below — one line (docs/writing-a-node.md).
enum NodeExtensions {
    static let catalog: NodeCatalog = {
        do {
            return try NodeCatalog.builtIn
                .adding(ExampleNodes.catalog)
        } catch {
            preconditionFailure("node extensions: \(error)")
        }
    }()
}
