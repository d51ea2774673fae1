// VoicedFuzz: libFuzzer over every wire parser and every C audio entry point.
//
//   scripts/fuzz [TARGET] [SECONDS]          builds it (AddressSanitizer + libFuzzer) and runs it
//   VOICED_FUZZ_TARGET=twilio .build-asan/debug/VoicedFuzz Fuzz/Corpus/twilio -max_total_time=30
//
// A target is named by VOICED_FUZZ_TARGET (`VoicedFuzz --list` lists them); libFuzzer reads every
// other argument. Built with `-sanitize=fuzzer`, this executable's `main` hands libFuzzer's driver
// the target (SwiftPM names an executable's entry point itself, so libFuzzer's own `main` is not
// used). Each target must never crash, hang or leak on any input: what a crash leaves in
// `crash-…` becomes a regression test (Tests/BridgeTests/FuzzRegressionTests.swift runs every
// corpus file through the same targets on every test run).
import CFuzzerDriver
import Foundation
import VoicedFuzzTargets

/// The target this process runs, chosen once from the environment.
nonisolated(unsafe) var selected: FuzzTarget?

/// libFuzzer's entry point: one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected?.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

if CommandLine.arguments.contains("--list") {
    for target in FuzzTarget.all { print(target.name.padding(toLength: 18, withPad: " ", startingAt: 0), target.summary) }
    exit(0)
}
guard let name = ProcessInfo.processInfo.environment["VOICED_FUZZ_TARGET"], let target = FuzzTarget.named(name) else {
    FileHandle.standardError.write(Data("voiced-fuzz: set VOICED_FUZZ_TARGET to one of \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n".utf8))
    exit(2)
}
selected = target
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(vd_fuzzer_run(&argc, &argv, fuzzOneInput))
