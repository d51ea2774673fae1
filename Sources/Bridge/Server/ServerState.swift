import MediaGraph

/// What the control plane reads to answer `/ready`, `/stats` and `/metrics`: the live calls, the
/// daemon's counters, the media threads and the admission state.
///
/// - Threading: any thread; every member is thread-safe.
struct ServerState: Sendable {
    let registry: CallRegistry
    let stats: BridgeStats
    let pool: MediaThreadPool
    let admission: CallAdmission
    let records: CallRecordWriter?
    let webhooks: WebhookSender?
    let recordings: RecordingWriter?
    /// This instance's name (`host:pid`).
    let serverID: String
}
