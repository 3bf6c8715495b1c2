// swift-tools-version: 6.1
import PackageDescription

/// One set of compiler settings for every target: Swift 6 language mode, strict concurrency,
/// and the upcoming-feature flags that keep module surfaces honest.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// MARK: - Pipelines
// Each line is one pipeline executable under `Pipelines/<Dir>/Main` (`swift run <name>`).
// Tools may append lines here; keep one pipeline per line.
let pipelines: [(name: String, target: String, path: String, dependencies: [Target.Dependency])] = [
    (name: "order-events", target: "OrderEvents", path: "Pipelines/OrderEvents/Main", dependencies: ["OrderEventsCore", "SluiceLog", "SluiceJSON", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
]
// MARK: -

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SluiceLog", targets: ["SluiceLog"]),
        .library(name: "SluiceGroups", targets: ["SluiceGroups"]),
        .library(name: "SluiceClient", targets: ["SluiceClient"]),
        .library(name: "SluiceJSON", targets: ["SluiceJSON"]),
        .library(name: "Sluice", targets: ["Sluice"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .executable(name: "sluice", targets: ["SluiceCLI"]),
    ] + pipelines.map { .executable(name: $0.name, targets: [$0.target]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
    ],
    targets: [
        // System libraries (shim headers only; C types never leave the wrapping module).
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),

        // CRC-32C with the SSE4.2 instruction where present (Swift cannot reach it portably).
        .target(name: "CCRC32C"),

        // A C thread-local pointer (Swift has none): SluiceJSON's per-thread reader state.
        .target(name: "CThreadSlot"),

        // Storage engine: RecordBatch v2 codec, segments, partitions, recovery, retention, topics.
        .target(
            name: "SluiceLog",
            dependencies: ["CZstd", "CCRC32C"],
            swiftSettings: swiftSettings
        ),

        // Consumer groups: coordinator, assignors, committed offsets in `__consumer_offsets`.
        .target(
            name: "SluiceGroups",
            dependencies: ["SluiceLog"],
            swiftSettings: swiftSettings
        ),

        // The producer/consumer API (AckModes, rebalance listeners) over a `Backend`: the embedded
        // log now, a Kafka cluster later.
        .target(
            name: "SluiceClient",
            dependencies: ["SluiceLog", "SluiceGroups"],
            swiftSettings: swiftSettings
        ),

        // The typed stream DSL and its runtime: pipelines of branches, each a consumer group.
        .target(
            name: "Sluice",
            dependencies: ["SluiceClient", "SluiceGroups", "SluiceLog", "SluiceJSON", "SluiceWindows"],
            swiftSettings: swiftSettings
        ),

        // Codable JSON straight from and to bytes: a structural index instead of a value tree,
        // keys compared as bytes. Standard library only (no Foundation), and one C thread-local.
        .target(
            name: "SluiceJSON",
            dependencies: ["CThreadSlot"],
            swiftSettings: swiftSettings
        ),

        // Event-time windows (tumbling, hopping, sliding, session), grace and lateness, and the
        // windowed aggregation engine the DSL wraps. Pure and synchronous; no dependencies.
        .target(
            name: "SluiceWindows",
            swiftSettings: swiftSettings
        ),

        // The deterministic multi-partition test driver for pipelines (`import SluiceTesting`).
        .target(
            name: "SluiceTesting",
            dependencies: ["Sluice", "SluiceClient", "SluiceGroups", "SluiceLog"],
            swiftSettings: swiftSettings
        ),

        // The `sluice` command-line tool.
        .executableTarget(
            name: "SluiceCLI",
            dependencies: [
                "SluiceLog",
                "SluiceGroups",
                "SluiceClient",
                "SluiceJSON",
                "OrderEventsCore",  // `sluice perf json` measures the order events' own readers and writers
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Shared by the tests and their child processes: seeded randomness, crash-record format.
        .target(
            name: "SluiceTestSupport",
            dependencies: ["SluiceLog"],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),

        // Child processes for the crash tests (`SluiceTestWorker log-append ...`); not a product.
        .executableTarget(
            name: "SluiceTestWorker",
            dependencies: ["SluiceLog", "SluiceClient", "SluiceTestSupport"],
            path: "Tests/Workers/SluiceTestWorker",
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "SluiceLogTests",
            dependencies: ["SluiceLog", "SluiceTestSupport"],
            exclude: ["Interop/verify_segments.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceGroupsTests",
            dependencies: ["SluiceGroups", "SluiceLog", "SluiceTestSupport"],
            exclude: ["Interop/kafka_python_groups.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceTests",
            dependencies: ["Sluice", "SluiceClient", "SluiceGroups", "SluiceLog", "SluiceTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceTestingTests",
            dependencies: ["SluiceTesting", "Sluice", "SluiceWindows", "SluiceTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceJSONTests",
            dependencies: ["SluiceJSON", "SluiceTestSupport"],
            exclude: ["JSONTestSuite"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceWindowsTests",
            dependencies: ["SluiceWindows", "SluiceTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SluiceClientTests",
            dependencies: ["SluiceClient", "SluiceGroups", "SluiceLog", "SluiceTestSupport"],
            swiftSettings: swiftSettings
        ),

        // The order-events pipeline's library half: the byte-identical port of
        // `../shared/bench/gen_events.py` (and, later, the event model).
        .target(
            name: "OrderEventsCore",
            dependencies: ["SluiceJSON"],
            path: "Pipelines/OrderEvents/Core",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrderEventsCoreTests",
            dependencies: ["OrderEventsCore", "SluiceTestSupport"],
            exclude: ["Reference/gen_events.py"],
            swiftSettings: swiftSettings
        ),
        // The `order-events` executable end to end (the built binary against pipeline_plain.py).
        .testTarget(
            name: "OrderEventsTests",
            dependencies: ["OrderEventsCore", "SluiceGroups", "SluiceLog", "SluiceTestSupport"],
            exclude: ["Reference/pipeline_plain.py"],
            swiftSettings: swiftSettings
        ),
    ]
    + pipelines.map { pipeline in
        .executableTarget(
            name: pipeline.target,
            dependencies: ["Sluice", "SluiceClient"] + pipeline.dependencies,
            path: pipeline.path,
            swiftSettings: swiftSettings
        )
    }
)
