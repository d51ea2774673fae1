import Foundation

/// What the registry knows of one live call.
///
/// - Threading: a value; copied out of the registry under its lock.
public struct CallRecord: Sendable, Equatable {
    /// voiced's own id, unique per daemon run; every log line of the call carries it as `call.id`.
    public var callID: UInt64
    /// Who the call is, as the provider described it (provider, its call and stream ids, from/to,
    /// custom parameters).
    public var call: ProviderCallStart
    /// The media thread running the call's graph.
    public var mediaThread: Int
    /// Monotonic start time (ns).
    public var startedNanos: UInt64
    /// Wall-clock start time, for the call records.
    public var startedAt: Date
}
