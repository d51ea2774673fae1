/// The downlink half of webrtc audio processing: passes the agent's audio through unchanged and
/// hands it to the call's ``AudioProcessor`` as the echo reference. Place it where the audio is
/// still at the processor's rate, before any resampling to the provider's rate. Needs an `apm`
/// node on the uplink of the same graph.
///
/// - Threading: see ``MediaNode``.
/// - Realtime: `process` is safe.
public final class EchoReferenceNode: MediaNode {
    public let name = "echo-reference"
    private let scope: GraphScope
    private var processor: AudioProcessor?

    public init(scope: GraphScope) { self.scope = scope }

    public func prepare(input: AudioFormat) throws(GraphBuildError) -> AudioFormat {
        guard let processor = scope.existing(AudioProcessor.self) else {
            throw .missingDependency(node: name, needs: "an 'apm' node on the uplink of the same graph")
        }
        guard input.encoding == .pcm16, input.channels == 1, input.sampleRateHz == processor.sampleRateHz else {
            throw .unsupportedFormat(node: name, input: input, expected: "pcm16 mono at \(processor.sampleRateHz) Hz, the apm node's rate")
        }
        self.processor = processor
        return input
    }

    /// A copy: the far end's processing is charged to the ``AudioProcessor`` (the `apm` node).
    public var instructionsPerFrame: Int { 1_000 }

    public func process(_ input: borrowing AudioFrame, into output: inout AudioFrame) {
        output.copyAudio(from: input)
        processor!.processFarEnd(UnsafeBufferPointer(input.pcm16))
    }
}
