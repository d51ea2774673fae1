// swift-tools-version: 6.1
import PackageDescription

/// `VOICED_FUZZ=1` (scripts/fuzz): voiced's own modules get libFuzzer's coverage instrumentation and
/// VoicedFuzz links libFuzzer; dependencies build as usual, so a fuzz build in the AddressSanitizer
/// build folder recompiles only voiced's modules.
let fuzzing = Context.environment["VOICED_FUZZ"] == "1"
let fuzzCoverage: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer"])] : []
let fuzzCoverageC: [CSetting] = fuzzing ? [.unsafeFlags(["-fsanitize=fuzzer-no-link"])] : []
/// libFuzzer linked in, with GNU ld (gold cannot link its runtime here).
let fuzzLinking: [LinkerSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer", "-use-ld=ld"])] : []

let package = Package(
    name: "voiced",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "voiced", targets: ["voiced"]),
        .library(name: "MediaGraph", targets: ["MediaGraph"]),
        .library(name: "Bridge", targets: ["Bridge"]),
        // For a node's tests: run it as a graph would, count allocations, feed hostile input.
        .library(name: "NodeTestKit", targets: ["NodeTestKit"]),
        .library(name: "ExampleNodes", targets: ["ExampleNodes"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "CAudio",
            // System libraries from Debian 12 (scripts/install-deps installs the -dev packages).
            // apm.cpp needs the flags `pkg-config --cflags webrtc-audio-processing` prints.
            cSettings: fuzzCoverageC,
            cxxSettings: [.unsafeFlags(["-I/usr/include/webrtc_audio_processing", "-DWEBRTC_POSIX",
                                        "-DWEBRTC_AUDIO_PROCESSING_ONLY_BUILD"] + (fuzzing ? ["-fsanitize=fuzzer-no-link"] : []))],
            linkerSettings: [
                .linkedLibrary("samplerate"), .linkedLibrary("opus"), .linkedLibrary("webrtc_audio_processing"), .linkedLibrary("speexdsp"), .linkedLibrary("espeak-ng"),
                .linkedLibrary("stdc++"), .linkedLibrary("dl"),
            ]
        ),
        // The system's SQLite (libsqlite3-dev) for the call records.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // The system's libopusenc (libopusenc-dev) for call recordings.
        .systemLibrary(name: "COpusEnc", path: "Sources/COpusEnc", pkgConfig: "libopusenc"),
        .target(
            name: "MediaGraph",
            dependencies: [
                "CAudio",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: fuzzCoverage
        ),
        .target(
            name: "Bridge",
            dependencies: [
                "MediaGraph",
                "CAudio",
                "CSQLite",
                "COpusEnc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)] + fuzzCoverage
        ),
        .target(
            name: "LoadGen",
            dependencies: [
                "Bridge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        // Two media nodes written outside voiced, on MediaGraph's public API only
        // (docs/writing-a-node.md); `voiced` registers them (Sources/voiced/NodeExtensions.swift).
        .target(
            name: "ExampleNodes",
            dependencies: ["MediaGraph"],
            path: "Examples/Nodes/Sources/ExampleNodes"
        ),
        // Counts a thread's heap allocations by replacing malloc and friends in a test binary.
        .target(name: "CAllocationCounter"),
        .target(
            name: "NodeTestKit",
            dependencies: ["MediaGraph", "CAudio", "CAllocationCounter"]
        ),
        // Every wire parser and C audio entry point as a libFuzzer target (scripts/fuzz), and the
        // executable that runs one; the corpora (Fuzz/Corpus) also run as regression tests.
        .target(
            name: "VoicedFuzzTargets",
            dependencies: ["Bridge", "MediaGraph", "CAudio", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: [.swiftLanguageMode(.v5)] + fuzzCoverage
        ),
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "VoicedFuzz",
            dependencies: ["VoicedFuzzTargets", "CFuzzerDriver"],
            linkerSettings: fuzzLinking
        ),
        .target(
            name: "MediaTesting",
            dependencies: ["MediaGraph", "CAudio"]
        ),
        .target(
            name: "VoicedTesting",
            dependencies: [
                "Bridge",
                "LoadGen",
                "MediaTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .executableTarget(
            name: "voiced",
            dependencies: [
                "Bridge",
                "LoadGen",
                "ExampleNodes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CAudioTests",
            dependencies: ["CAudio"]
        ),
        .testTarget(
            name: "MediaGraphTests",
            dependencies: ["MediaGraph", "CAudio", "MediaTesting", "ExampleNodes", "NodeTestKit"]
        ),
        .testTarget(
            name: "ExampleNodesTests",
            dependencies: ["ExampleNodes", "NodeTestKit", "MediaGraph"],
            path: "Examples/Nodes/Tests/ExampleNodesTests"
        ),
        .testTarget(
            name: "BridgeTests",
            dependencies: ["Bridge", "CAudio", "VoicedTesting", "ExampleNodes", "NodeTestKit", "VoicedFuzzTargets", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "AudioQuality",
            dependencies: ["MediaGraph", "MediaTesting"],
            path: "Sources/AudioQuality"),
        .executableTarget(
            name: "GraphInstructions",
            dependencies: ["MediaGraph", "MediaTesting", "ExampleNodes"],
            path: "Sources/GraphInstructions"),
        .executableTarget(
            name: "MediaBenchmarks",
            dependencies: [
                "MediaGraph", "CAudio", "MediaTesting",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/MediaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    cxxLanguageStandard: .cxx14
)
