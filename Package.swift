// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "inferwatcher",
    products: [
        .executable(name: "inferwatcher", targets: ["InferWatcher"]),
        .library(name: "Engine", targets: ["Engine"]),
        .library(name: "Archive", targets: ["Archive"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        // zstd and zlib (libzstd-dev, zlib1g-dev): compressed copies of archived inputs.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's <malloc.h> (mallopt, malloc_trim): part of libc, nothing to link.
        .systemLibrary(name: "CMalloc"),
        .target(name: "Checksum", dependencies: ["CLibCrypto"]),
        // Small deterministic SGEMM for the skinny dense layers of tabular models (AVX-512F or
        // AVX2+FMA chosen at run time), and OpenBLAS (Debian's libopenblas0) opened with dlopen as
        // the fallback for other shapes and CPUs.
        .target(name: "CKernels"),
        .target(
            name: "Engine",
            dependencies: [
                "CKernels",
                "Checksum",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(name: "Archive", dependencies: ["Checksum", "CZstd", "CZlib"]),
        .executableTarget(
            name: "InferWatcher",
            dependencies: [
                "Engine",
                "Archive",
                "CSystemd",
                "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Checksum", "CKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Checksum"]),
        .testTarget(name: "DaemonTests", dependencies: ["InferWatcher", "Engine", "Archive"]),
        .testTarget(name: "CLITests", dependencies: ["Engine"]),
    ]
)

// Modern Swift 6 for every target (as swift-configuration does).
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
