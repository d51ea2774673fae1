/// Objects the nodes of one call's graph share across both directions, such as the echo
/// canceller that the uplink's `apm` node and the downlink's `echo-reference` node both feed.
///
/// - Threading: used while the graph is built, on the control thread; the shared objects are then
///   used by their nodes on the call's media thread (both directions run there).
/// - Ownership: holds each shared object for the graph's life.
public final class GraphScope {
    private var objects: [ObjectIdentifier: AnyObject] = [:]

    public init() {}

    /// The graph's instance of `T`, made by `make` on first request.
    public func shared<T: AnyObject, E: Error>(_ type: T.Type, make: () throws(E) -> T) throws(E) -> T {
        if let existing = objects[ObjectIdentifier(type)] as? T { return existing }
        let made = try make()
        objects[ObjectIdentifier(type)] = made
        return made
    }

    /// The graph's instance of `T`, if a node made one.
    public func existing<T: AnyObject>(_ type: T.Type) -> T? { objects[ObjectIdentifier(type)] as? T }
}
