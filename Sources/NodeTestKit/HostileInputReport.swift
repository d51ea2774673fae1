import MediaGraph

extension NodeHarness {
    /// How the nodes took one of ``TestSignal/Hostile``'s inputs.
    public struct HostileInputReport {
        public let input: TestSignal.Hostile
        /// The run (its samples, events, allocations).
        public let run: Run
        /// Whether every frame came out whole: as many samples as went in, at the output's rate.
        public let framesWhole: Bool
        /// The output's level in dBFS.
        public var outputDBFS: Double { TestSignal.dBFS(run.samples) }
    }

    /// Runs every hostile input (`seconds` each, encoded to the input's format) through the nodes
    /// one after another, as one call would hear them, and reports each. A node's test asserts
    /// what fits it: no allocation, whole frames, no event raised by noise, a bounded output level.
    public func hostileInputs(seconds: Double = 2) -> [HostileInputReport] {
        TestSignal.Hostile.allCases.map { kind in
            let input = kind.samples(seconds: seconds, rateHz: inputFormat.sampleRateHz)
            let run = switch inputFormat.encoding {
            case .mulaw: TestSignal.muLaw(input).withUnsafeBytes { process(bytes: $0) }
            case .alaw: TestSignal.aLaw(input).withUnsafeBytes { process(bytes: $0) }
            default: process(input)
            }
            let expected = run.frames * outputFormat.samplesPerFrame
            return HostileInputReport(input: kind, run: run, framesWhole: run.samples.count == expected)
        }
    }
}
