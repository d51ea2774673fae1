/// Where the sentences of the load generator's speech start, as 20 ms frame indices into the
/// audio: the frames whose send time starts a barge-in measurement in fake-agent mode.
///
/// - Threading: stateless; any thread.
/// - Ownership: returns values.
/// - Realtime: unsafe (allocates); set-up code only.
public enum SpeechSegments {
    /// The start frame of each line `START END` (seconds) of a segments file such as
    /// TestAudio/speech-segments.txt, which scripts/make-test-audio writes with the speech.
    /// Lines that do not parse are skipped.
    public static func startFrames(segmentsText text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            guard let start = line.split(separator: " ").first.flatMap({ Double($0) }), start >= 0 else { return nil }
            return Int(start * 1000) / 20
        }
    }

    /// Sentence starts found in the audio itself, for speech without a segments file: a frame
    /// louder than `thresholdRMS` (of 32767) after at least `minPauseMs` of quieter frames (or at
    /// the start of the audio) starts a sentence.
    public static func startFrames(muLawFrames frames: [[UInt8]], thresholdRMS: Double = 500, minPauseMs: Int = 300) -> [Int] {
        let minQuietFrames = max(1, minPauseMs / 20)
        var quiet = minQuietFrames
        var starts: [Int] = []
        for (k, frame) in frames.enumerated() {
            var sumSquares = 0.0
            for code in frame {
                let s = Double(FakeAudioFormat.muLawTable[Int(code)])
                sumSquares += s * s
            }
            let loud = (sumSquares / Double(max(1, frame.count))).squareRoot() > thresholdRMS
            if loud {
                if quiet >= minQuietFrames { starts.append(k) }
                quiet = 0
            } else {
                quiet += 1
            }
        }
        return starts
    }
}
