// swift-tools-version:6.0
// quantdash — a terminal dashboard for interactive neural-network quantization.
import PackageDescription

let package = Package(
    name: "quantdash",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "quantdash", targets: ["quantdash"]),
        .library(name: "QuantCore", targets: ["QuantCore"]),
        .library(name: "QuantTUI", targets: ["QuantTUI"]),
        .library(name: "NcursesBackend", targets: ["NcursesBackend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // The engine: tensors, graph executor, quantization, evaluation, training, file formats.
        // Never imports a terminal library.
        .target(
            name: "QuantCore",
            dependencies: [
                "CKernels",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["README.md"],
            resources: [.copy("Resources/Demo")]
        ),
        // C inner loops with AVX-512 / AVX2 variants picked at run time (see its README).
        .target(name: "CKernels", exclude: ["README.md"]),
        // The dashboard, pure Swift and testable without a terminal.
        .target(name: "QuantTUI", dependencies: ["QuantCore"]),
        // C shim over ncursesw for the macros and globals Swift cannot import.
        .target(
            name: "CNcursesShim",
            exclude: ["README.md"],
            linkerSettings: [.linkedLibrary("ncursesw")]
        ),
        // The only code that talks to ncurses.
        .target(name: "NcursesBackend", dependencies: ["CNcursesShim", "QuantTUI"]),
        .executableTarget(
            name: "quantdash",
            dependencies: [
                "QuantCore", "QuantTUI", "NcursesBackend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // quantdash-bench: ours and the peers side by side (BENCHMARKS.md). Part of this package so
        // one `swift build -c release` builds it beside quantdash and CI compiles the engine once.
        .executableTarget(
            name: "quantdash-bench",
            dependencies: [
                "QuantCore", "QuantTUI", "NcursesBackend", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/Sources/quantdash-bench"
        ),
        .target(name: "QuantTestSupport", dependencies: ["QuantCore", "QuantTUI"]),
        .testTarget(
            name: "QuantCoreTests",
            dependencies: [
                "QuantCore", "QuantTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .testTarget(name: "QuantTUITests", dependencies: ["QuantTUI", "QuantTestSupport"]),
        .testTarget(name: "NcursesBackendTests", dependencies: ["NcursesBackend", "QuantTUI"]),
        .testTarget(
            name: "QuantdashCLITests",
            dependencies: ["quantdash", "QuantCore", "QuantTestSupport"]
        ),
    ]
)
