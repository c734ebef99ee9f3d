// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "inferwatcher",
    products: [
        .executable(name: "inferwatcher", targets: ["InferWatcher"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "SystemdCalendar", targets: ["SystemdCalendar"]),
        .library(name: "SystemdSupport", targets: ["SystemdSupport"]),
        .library(name: "InferWatcherDaemon", targets: ["InferWatcherDaemon"]),
    ],
    // Exact versions: we ship a binary, and Package.resolved stays out of git (the package
    // mirror's commit ids are not upstream's).
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        // PrometheusCollectorRegistry only (the metrics textfile); brings swift-atomics and swift-metrics'
        // CoreMetrics, no NIO.
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // libsystemd (libsystemd-dev): sd_notify and the native journal.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // OpenSSL's libcrypto (libssl-dev): SHA-256 of inputs, models and archived files.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // zstd and zlib (libzstd-dev, zlib1g-dev): compressed copies of archived inputs, and `.csv.zst`
        // and `.csv.gz` inputs.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Snappy (libsnappy-dev, which ships snappy.pc): SNAPPY pages of Parquet files.
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        // glibc's <malloc.h> (mallopt, malloc_trim): part of libc, nothing to link.
        .systemLibrary(name: "CMalloc"),
        .target(name: "Checksum", dependencies: ["CLibCrypto"]),
        // The one file layer of the engine, the archive and the daemon, on swift-system.
        .target(name: "CFiles"),
        .target(
            name: "Files",
            dependencies: ["CFiles", "Checksum", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // The one JSON writer: ordered keys, explicit nulls, for every JSON file we write.
        .target(name: "OrderedJSON"),
        // Small deterministic SGEMM for the skinny dense layers of tabular models (AVX-512F or
        // AVX2+FMA chosen at run time), and OpenBLAS (Debian's libopenblas0) opened with dlopen as
        // the fallback for other shapes and CPUs.
        .target(name: "CKernels"),
        .target(
            name: "Engine",
            dependencies: [
                "CKernels",
                "Checksum",
                "CZlib",
                "CZstd",
                "Files",
                "OrderedJSON",
                "Parquet",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Parquet files (flat schemas): footer, pages, encodings and codecs; knows nothing of models.
        .target(name: "Parquet", dependencies: ["CZstd", "CZlib", "CSnappy"]),
        .target(name: "Archive", dependencies: ["Checksum", "Files", "OrderedJSON", "CZstd", "CZlib"]),
        // systemd calendar events (OnCalendar=) and the tz database: Glibc only.
        .target(name: "SystemdCalendar"),
        // sd_notify and the native journal: the only importer of CSystemd.
        .target(
            name: "SystemdSupport",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        // The daemon: configuration, pipelines as services, jobs, spool, status.
        .target(
            name: "InferWatcherDaemon",
            dependencies: [
                "Engine",
                "Archive",
                "Checksum",
                "CMalloc",
                "Files",
                "OrderedJSON",
                "SystemdCalendar",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line: commands only.
        .executableTarget(
            name: "InferWatcher",
            dependencies: [
                "Engine",
                "Archive",
                "Files",
                "InferWatcherDaemon",
                "OrderedJSON",
                "SystemdSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Files", "Checksum", "CKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "CSnappy", "CZlib", "CZstd"], exclude: ["Fixtures"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Files", "Checksum"]),
        .testTarget(name: "OrderedJSONTests", dependencies: ["OrderedJSON"]),
        .testTarget(name: "FilesTests", dependencies: ["Files", "Checksum"]),
        .testTarget(name: "SystemdCalendarTests", dependencies: ["SystemdCalendar"]),
        .testTarget(name: "SystemdSupportTests", dependencies: ["SystemdSupport"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "InferWatcherDaemon", "SystemdCalendar", "Engine", "Archive", "Files", "OrderedJSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The real binary on temporary spools: real inotify, signals, kill -9, a full tmpfs.
        .testTarget(name: "DaemonIntegrationTests", dependencies: ["InferWatcher"]),
        .testTarget(name: "CLITests", dependencies: ["InferWatcher", "Engine"]),
    ]
)

// Fuzz targets (Tests/Fuzz, libFuzzer), only when INFERWATCHER_FUZZ=1 asks for them (as hummingbird
// does for its benchmarks), so a plain `swift build` never sees them. scripts/fuzz.sh builds them
// with -sanitize=fuzzer,address in their own scratch path, .build-fuzz.
if Context.environment["INFERWATCHER_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzCSV", ["Engine"]),
        ("FuzzDecimal", ["Engine"]),
        ("FuzzONNX", ["Engine"]),
        ("FuzzConfig", ["InferWatcherDaemon"]),
        ("FuzzCalendar", ["SystemdCalendar"]),
        ("FuzzParquet", ["Parquet"]),
    ]
    package.targets.append(.target(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"))
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name, dependencies: target.dependencies + ["CLibFuzzer"], path: "Tests/Fuzz/\(target.name)"))
    }
}

// Modern Swift 6 for every target (as swift-configuration does).
for target in package.targets where target.type != .system {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
            .enableUpcomingFeature("InternalImportsByDefault"),
        ]
}
