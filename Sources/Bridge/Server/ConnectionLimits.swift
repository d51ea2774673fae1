import NIOCore

/// How long, and how fast, a connection may go before voiced steps in. Each limit, when hit, is
/// counted in `/stats` (`limitClosures` by kind, `framesOverRealTime`, `silenceFramesRefused`, `readPauses`) and
/// logged with a reason; other calls never notice.
///
/// - Threading: a value type; read on the event loops.
public struct ConnectionLimits: Sendable {
    /// A new connection must send its request head within this (slowloris, a TCP connection that
    /// never speaks): default 10 s. Kind `request_head`.
    public var requestHead: TimeAmount = .seconds(10)
    /// A request's body must arrive within this after its head: default 10 s. Kind `request_body`.
    public var requestBody: TimeAmount = .seconds(10)
    /// A kept-alive connection may wait this long for its next request: default 30 s. Kind `idle`.
    public var idle: TimeAmount = .seconds(30)
    /// An upgraded media socket must send `start` within this: default 10 s. Kind `start`.
    public var start: TimeAmount = .seconds(10)
    /// A started call whose provider sends no audio for this long is taken for dead (a provider
    /// streams media continuously) and ended by its event loop's idle sweep (``EventLoopCalls``):
    /// default 30 s. End reason `idle_timeout` (not a limit closure).
    public var mediaIdle: TimeAmount = .seconds(30)
    /// A media socket whose writes make no progress (the provider stopped reading) for this long
    /// ends its call: default 10 s. Kind `write_stall`.
    public var writeStall: TimeAmount = .seconds(10)
    /// Audio a provider may send ahead of real time, in ms (a provider catching up after a network
    /// stall); beyond it payloads are dropped and timestamp-gap silence is cut: default 1000.
    public var mediaBurstMs: Int = 1000
    /// Messages a media socket may send per second, sustained: default 200 (Twilio sends about
    /// 100: media and returned marks). Beyond it, and beyond ``messageBurst`` at once, voiced stops
    /// reading the socket until the rate allows (TCP back-pressure), counted in `/stats` as
    /// `readPauses`.
    public var messagesPerSecond: Int = 200
    /// Messages a media socket may send at once above the rate: default 200 (two seconds of a
    /// provider catching up).
    public var messageBurst: Int = 200
    /// Read pauses within ten seconds after which a media socket is taken for a flood and closed:
    /// default 20 (a provider catching up after a stall causes one or two). Kind `message_flood`.
    public var floodPauses: Int = 20

    /// Connections one client address may hold open at once (calls and HTTP together): default
    /// 512; 0 for no limit. Behind a proxy every connection comes from the proxy: raise it above
    /// the instance's max calls (or set 0). Kind `per_address`.
    public var connectionsPerAddress: Int = 512
    /// Connections that are not calls (plain HTTP, upgrades in progress) open at once: default
    /// 1024; 0 for no limit. A new one past it is closed unread. Kind `pending`.
    public var pendingConnections: Int = 1024

    public init() {}
}
