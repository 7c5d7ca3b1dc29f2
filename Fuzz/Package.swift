// swift-tools-version:6.0
// libFuzzer targets for quantdash's file readers. Not part of the root package: build and run
// them with `Scripts/fuzz.sh` (it passes `-sanitize=fuzzer,address`; see Fuzz/README.md).
import PackageDescription

/// One executable per reader; each exports `LLVMFuzzerTestOneInput` and gets libFuzzer's `main`.
let fuzzers = ["FuzzONNX", "FuzzNpy", "FuzzNpz", "FuzzIDX", "FuzzPlan", "FuzzSession", "FuzzCSV"]

let package = Package(
    name: "quantdash-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "quantdash", path: "..")],
    targets: [.target(name: "CFuzzDriver")]
        + fuzzers.map { name in
            .executableTarget(
                name: name,
                dependencies: ["CFuzzDriver", .product(name: "QuantCore", package: "quantdash")],
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        }
)
