import Logging
import MediaGraph

/// What every call on a server shares: the registry, counters, media threads, the event loops'
/// doorbells, the default graph, ring settings and the agents calls can talk to.
///
/// - Threading: immutable after the server starts; each member is safe where its type says.
struct CallEnvironment {
    var registry: CallRegistry
    var stats: BridgeStats
    /// Whether another call may start (`--max-calls`, draining).
    var admission: CallAdmission
    var pool: MediaThreadPool
    var loops: EventLoopCallsDirectory
    /// The graphs calls can name, and the default.
    var graphs: GraphDirectory
    var callConfiguration: CallPipeline.Configuration
    var limits: ConnectionLimits
    var agents: AgentDirectory
    /// Whether calls whose provider request was not verified may still pick their graph and agent.
    var trustCallParameters: Bool
    var logger: Logger
    /// Where ended calls are written (nil: records off), and this instance's name in them.
    var records: CallRecordWriter?
    /// Where call events are POSTed (nil: nowhere).
    var webhooks: WebhookSender?
    /// Writes call recordings (nil: recordings off).
    var recordings: RecordingWriter?
    var serverID: String
}
