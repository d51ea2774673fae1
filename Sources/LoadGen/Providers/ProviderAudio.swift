import MediaGraph

/// Audio for a provider's calls: μ-law 8 kHz frames (the test speech) converted to what a
/// ``ProviderWire`` carries — converted by the graph's own edge conversion (``FormatConversion``)
/// — so every provider's load and tests play the same speech.
///
/// - Threading: any thread (builds its own chain).
public enum ProviderAudio {
    /// `muLaw` (20 ms frames of μ-law at 8 kHz) as 20 ms frames in `wire`'s format.
    public static func frames(_ muLaw: [[UInt8]], for wire: any ProviderWire) throws -> [[UInt8]] {
        let chain = try NodeChain(nodes: [], input: .telephonyMuLaw) { (reached) throws(GraphBuildError) in
            try FormatConversion.nodes(from: reached, to: wire.format)
        }
        guard !chain.nodes.isEmpty else { return muLaw }
        return muLaw.map { frame in
            chain.input.pointee.sampleCount = 160
            frame.withUnsafeBytes { chain.input.pointee.bytes.copyMemory(from: $0) }
            chain.run()
            // One frame's bytes (for Opus, its packet: the chain's encoder keeps the stream's history).
            return Array(UnsafeRawBufferPointer(chain.output.pointee.bytes))
        }
    }

    /// The wire for `name` (`exotel`, `acs`, `telnyx`, `vonage`, `plivo`) at its usual format: Exotel
    /// PCM 8 kHz, ACS and Vonage PCM 16 kHz, Telnyx PCMU, Plivo μ-law. Nil for an unknown name.
    public static func wire(named name: String) -> (any ProviderWire)? {
        switch name {
        case "exotel": ExotelWire(rateHz: 8000)
        case "acs": ACSWire(rateHz: 16000)
        case "telnyx": TelnyxWire(codec: .pcmu)
        case "vonage": VonageWire(rateHz: 16000)
        case "plivo": PlivoWire(muLaw: true)
        default: nil
        }
    }
}
