/// Objects the nodes of one call's graph share across both directions, such as the echo
/// canceller that the uplink's `apm` node and the downlink's `echo-reference` node both feed.
///
/// What a node may use of the call, each got in `prepare` (the chains prepare their nodes in
/// order, uplink first, so a node finds what the nodes before it made):
/// - ``events()``: the event lane, to post ``MediaEvent``s (always there);
/// - ``voiceActivity(for:)``: what the call's VAD decides, for nodes after it on the uplink;
///   a VAD of your own writes it through ``voiceActivity()``;
/// - ``playback()``: whether the agent is audible (kept by the downlink's `playback-monitor`);
/// - ``shared(_:make:)``: an object of your own that both directions of the call share.
///
/// - Threading: used while the graph is built, on the control thread; the shared objects are then
///   used by their nodes on the call's media thread (both directions run there).
/// - Ownership: holds each shared object for the graph's life.
public final class GraphScope {
    private var objects: [ObjectIdentifier: AnyObject] = [:]
    /// Where nodes run work that may not run on a media thread: ``AnalysisPlacement/background``
    /// in a live call, ``AnalysisPlacement/inline`` offline.
    public let analysis: AnalysisPlacement

    public init(analysis: AnalysisPlacement = .inline) { self.analysis = analysis }

    /// The graph's instance of `T`, made by `make` on first request.
    public func shared<T: AnyObject, E: Error>(_ type: T.Type, make: () throws(E) -> T) throws(E) -> T {
        if let existing = objects[ObjectIdentifier(type)] as? T { return existing }
        let made = try make()
        objects[ObjectIdentifier(type)] = made
        return made
    }

    /// The graph's instance of `T`, if a node made one.
    public func existing<T: AnyObject>(_ type: T.Type) -> T? { objects[ObjectIdentifier(type)] as? T }

    /// The call's event lane (a ``Graph`` makes it before any node; a chain built on its own gets
    /// one here).
    public func events() throws(GraphBuildError) -> EventLane {
        try shared(EventLane.self) { () throws(GraphBuildError) in try EventLane() }
    }

    /// The call's voice activity, for a node that decides it (a VAD): made on first request.
    public func voiceActivity() -> VoiceActivity { shared(VoiceActivity.self) { VoiceActivity() } }

    /// The call's voice activity, for a node that reads it: throws
    /// ``GraphBuildError/missingDependency(node:needs:)`` naming `node` unless a VAD earlier on the
    /// uplink made it.
    public func voiceActivity(for node: String) throws(GraphBuildError) -> VoiceActivity {
        guard let activity = existing(VoiceActivity.self) else {
            throw .missingDependency(node: node, needs: "a 'vad' node (or another VAD) before it on the uplink")
        }
        return activity
    }

    /// When the agent was last audible. It advances only when the downlink has a
    /// `playback-monitor` node; without one the agent never counts as audible.
    public func playback() -> Playback { shared(Playback.self) { Playback() } }
}
