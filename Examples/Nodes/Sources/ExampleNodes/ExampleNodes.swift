import MediaGraph

/// The example nodes, as a catalog to add to voiced's: `dtmf` (``DTMFDetectorNode``) and
/// `normalize` (``LoudnessNormalizerNode``). `voiced` wires them in with one line
/// (Sources/voiced/NodeExtensions.swift); a package of your own does the same.
public enum ExampleNodes {
    public static let catalog: NodeCatalog = {
        var catalog = NodeCatalog()
        do {
            try catalog.register("dtmf") { context throws(GraphBuildError) in try DTMFDetectorNode(&context) }
            try catalog.register("normalize") { context throws(GraphBuildError) in try LoudnessNormalizerNode(&context) }
        } catch {
            preconditionFailure("\(error)")
        }
        return catalog
    }()
}
