import Foundation
import Testing
import VoicedTesting

/// A graph with the neural VAD on a machine without ONNX Runtime or the model: `voiced` refuses it
/// at once, naming the node, what is missing and how to install it — `serve` before it takes a
/// call, `process` for the file.
@Suite struct NeuralVADAvailabilityTests {
    static let speech = TestSpeech.repositoryRoot.appendingPathComponent("TestAudio/speech-8k-mulaw.wav").path

    @Test func withoutTheModelProcessSaysWhatIsMissing() throws {
        let result = try VoicedBinary.run(["process", "--input", Self.speech, "--graph", "neural"],
                                          environment: ["VOICED_SILERO_MODEL": "/nonexistent/silero_vad.onnx"])
        #expect(result.status == 1)
        #expect(result.errors.contains("node 'silero-vad' cannot run here: /nonexistent/silero_vad.onnx"), "\(result.errors)")
        #expect(result.errors.contains("run scripts/install-deps"))
    }

    @Test func withoutTheRuntimeServeDoesNotStart() throws {
        let result = try VoicedBinary.run(["serve", "--graph", "neural", "--port", "\(try FreePort.find())"],
                                          environment: ["VOICED_ONNXRUNTIME": "/nonexistent/libonnxruntime.so.1"])
        #expect(result.status != 0)
        #expect(result.errors.contains("graph 'neural': node 'silero-vad' cannot run here: cannot load ONNX Runtime from /nonexistent/libonnxruntime.so.1"),
                "\(result.errors)")
    }

    @Test func installedItRuns() throws {
        let result = try VoicedBinary.run(["process", "--input", Self.speech, "--graph", "neural"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("uplink.silero-vad"))
        #expect(result.output.contains("speechStarted"))
    }
}
