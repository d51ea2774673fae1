extension VoicedServer.Configuration {
    /// Takes everything `file` sets (agent profiles and the default one, named graphs, limits,
    /// providers' security, records, webhooks); what it leaves out keeps its value. `voiced serve`
    /// applies its flags and environment on top; `voiced config check` checks the result.
    public mutating func apply(_ file: ConfigFile) {
        agentProfiles = file.agents
        agent = file.defaultAgent ?? agent
        graphs = file.graphs
        graphRoutes = file.graphRoutes
        limits = file.limits
        security = file.security
        call.frameBudget = file.frameBudget ?? call.frameBudget
        mediaThread.instructionBudget = file.mediaThreadBudget ?? mediaThread.instructionBudget
        maxCalls = file.maxCalls ?? maxCalls
        if let location = file.records { records = location == "off" ? nil : location }
        webhooks = file.webhooks ?? webhooks
        recordings = file.recordings ?? recordings
    }
}
