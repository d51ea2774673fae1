/// Call recordings (`[recordings]` in the configuration file; docs/operations.md).
///
/// - Threading: a value.
public struct RecordingSettings: Sendable, Equatable {
    /// Where the files go (created at start-up when absent).
    public var directory: String
    /// Record every call; otherwise only calls that ask with the custom parameter `record=true`
    /// (honoured, like `graph` and `agent`, only from verified provider requests or when the
    /// operator trusts call parameters).
    public var recordAll = false

    /// The custom parameter with which a call asks to be recorded.
    public static let parameter = "record"

    public init(directory: String) {
        self.directory = directory
    }
}
