import Logging
import MediaGraph

/// The demo agent's prompts, rendered once per server with espeak-ng (at start-up, never on a media
/// thread or per call) and shared by every demo call: 16-bit PCM at ``sampleRateHz``. Without
/// espeak-ng or its data the prompts are tones, and the reason is logged once.
///
/// - Threading: immutable after init; safe anywhere.
final class DemoVoice: Sendable {
    /// The rate the prompts are rendered at (the demo agent speaks and hears PCM at this rate).
    let sampleRateHz: Int
    /// Played when a call starts.
    let greeting: [Int16]
    /// Played before the caller's own words are played back.
    let youSaid: [Int16]
    /// Whether the prompts are speech (false: tones).
    let isSpeech: Bool

    static let greetingText = "Hello! This is the voiced demo agent. Say something, and I will say it back to you."
    static let youSaidText = "You said:"

    init(sampleRateHz: Int = 8000, logger: Logger) {
        self.sampleRateHz = sampleRateHz
        do {
            let synthesizer = try SpeechSynthesizer(sampleRateHz: sampleRateHz)
            (greeting, youSaid) = (try synthesizer.speak(Self.greetingText), try synthesizer.speak(Self.youSaidText))
            isSpeech = true
        } catch {
            logger.warning("demo agent speaks in tones: no speech synthesis", metadata: ["reason": "\(error)"])
            let format = AudioFormat(encoding: .pcm16, sampleRateHz: sampleRateHz)
            func samples(_ bytes: [UInt8]) -> [Int16] { bytes.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) } }
            (greeting, youSaid) = (samples(format.tone(frequencyHz: 523, milliseconds: 250) + format.tone(frequencyHz: 784, milliseconds: 400)),
                                   samples(format.tone(frequencyHz: 660, milliseconds: 200)))
            isSpeech = false
        }
    }
}
