/// Counts and logs what went wrong with an agent's messages: every problem is counted
/// (`agentMessagesRejected`); the first few per call are logged at warning, later ones at debug,
/// so an agent sending garbage cannot flood the log.
///
/// - Threading: one per connector, on the call's event loop.
struct AgentProblems {
    /// Problems logged at warning level per call.
    static let loudLimit = 5
    private var count = 0

    mutating func report(_ message: String, call: AgentCall?) {
        guard let call else { return }
        call.stats.agentMessagesRejected.wrappingIncrement(ordering: .relaxed)
        count += 1
        let line = WireText(message, limit: 300)
        if count <= Self.loudLimit { call.logger.warning("\(line)") } else { call.logger.debug("\(line)") }
    }
}
