/// What the registry knows of one live call.
///
/// - Threading: a value; copied out of the registry under its lock.
public struct CallRecord: Sendable, Equatable {
    /// voiced's own id, unique per daemon run; every log line of the call carries it as `call`.
    public var callID: UInt64
    /// The provider that opened the socket (`twilio`).
    public var provider: String
    public var callSid: String
    public var streamSid: String
    public var accountSid: String
    public var customParameters: [String: String]
    /// The media thread running the call's graph.
    public var mediaThread: Int
    /// Monotonic start time (ns).
    public var startedNanos: UInt64
}
