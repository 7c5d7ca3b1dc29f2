// swift-tools-version:6.0
// quantdash benchmarks: its own package so the main build stays lean (see ../BENCHMARKS.md).
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which is whatever the clone is called.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let quantdash = root.lastPathComponent

let package = Package(
    name: "quantdash-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "quantdash-bench",
            dependencies: [
                .product(name: "QuantCore", package: quantdash),
                .product(name: "QuantTUI", package: quantdash),
                .product(name: "NcursesBackend", package: quantdash),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        )
    ]
)
