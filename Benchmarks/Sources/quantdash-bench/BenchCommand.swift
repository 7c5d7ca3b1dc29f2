import ArgumentParser
import Foundation
import QuantCore

/// `quantdash-bench`: ours and the peers side by side, medians and ratios (see BENCHMARKS.md).
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantdash-bench",
        abstract: "Benchmark quantdash against onnxruntime and a PyTorch loop on the same models and data.",
        discussion: """
            Run from the repository root after `swift build -c release` (the dashboard figures \
            start the release binary):
              swift run -c release quantdash-bench
            The peers run first (Benchmarks/peers/peers.py, in its own venv), then ours; the table \
            pairs each figure with the peer's from the same run.
            """)

    @Option(help: "Timed runs per figure (median reported).")
    var runs = 25

    @Option(
        help: """
            Timed runs of each full float pass, ours and the peers' (a few milliseconds each: a \
            median over a longer stretch is less at the mercy of a noisy moment).
            """)
    var fullPassRuns = 200

    @Option(help: "Worker threads for us and the peers.")
    var threads = 2

    @Flag(help: "CI smoke: 3 runs, no ResNet-18, no startup/RSS runs of the binary beyond one.")
    var quick = false

    @Flag(name: .customLong("no-peers"), help: "Skip onnxruntime and PyTorch.")
    var noPeers = false

    @Flag(name: .customLong("no-resnet"), help: "Skip the synthetic ResNet-18.")
    var noResnet = false

    @Option(help: "The release quantdash binary for startup and memory.")
    var quantdash = ".build/release/quantdash"

    @Option(help: "Folder for the synthetic ResNet-18 files (made on first use).")
    var resnetDirectory = "Benchmarks/.data"

    @Option(
        help: """
            Only these groups (comma-separated): engine, layer-report, dashboard, resnet; search (not in the default set: guided search against the exhaustive optimum on the demo models); \
            full-pass is the engine's full float passes alone (for profiling); scale (not in the \
            default set: it takes many minutes) is the whole float pass over ImageNet-size CNNs; \
            scale-memory (not in the default set either) is peak RSS of eval at 32/256/1000 \
            ResNet-50 images, scale-latency (nor this) key-to-frame latency while evaluating 1000 \
            images and per-change latency with the activation cache; finetune (nor this) is \
            quantization-aware fine-tuning with distillation beside PyTorch; integer (nor this; a cut-down \
            form runs with --quick) is the int8 plan's integer model against our float pass and \
            onnxruntime's int8 (QDQ) run on the demo models and a ResNet-18-sized stack.
            """)
    var only: String?

    @Option(
        help: """
            Models of the scale section (comma-separated): resnet50, mobilenet_v2, vgg19, densenet121.
            """)
    var scaleModels = "resnet50,mobilenet_v2,vgg19,densenet121"

    @Option(help: "Images per whole float pass in the scale section.")
    var scaleImages = 256

    @Option(help: "Images per batch in the scale section (ours and onnxruntime's).")
    var scaleBatch = 16

    @Option(help: "Timed passes per model in the scale section (median reported).")
    var scaleRuns = 3

    @Option(help: "Folder for the scale section's models and images (made on first use).")
    var scaleDirectory = "Benchmarks/.data/imagenet"

    @Flag(
        help: """
            Scale section: also time our pass with depthwise convolutions through im2col + GEMM \
            (the path before the direct kernel) on models that have them.
            """)
    var scaleWithoutDepthwiseKernel = false

    @Flag(
        help: """
            Scale section: also time our pass with 3×3 convolutions through im2col + GEMM instead of \
            Winograd's F(2×2, 3×3) on models that have them.
            """)
    var scaleWithoutWinograd = false

    @Flag(
        help: """
            Scale section: also time our pass with each pointwise convolution and the depthwise one \
            reading it run apart (the path before chaining them) on models that have them.
            """)
    var scaleWithoutChaining = false

    @Option(help: "FMA instructions per core per cycle for the peak (default: estimated from the CPU).")
    var fmaPerCycle: Int?

    @Option(help: "The ResNet-50 ONNX model for scale-memory (made by Benchmarks/peers/make_imagenet_models.py).")
    var scaleModel = "Benchmarks/.data/imagenet/resnet50.onnx"

    @Option(help: "Held-out images for scale-latency (the issue's figure is at 1000).")
    var scaleLatencyImages = 1000

    @Option(help: "Integer group: timed runs of the ResNet-18-sized pass (each takes seconds).")
    var integerResnetRuns = 5

    @Option(help: "Integer group: images of the ResNet-18-sized pass (batches of 32).")
    var integerResnetImages = 64

    @Option(help: "Only these demo models for the engine figures (comma-separated): demo-mlp, demo-cnn.")
    var models: String?

    @Option(help: "Write every measurement as JSON here.")
    var json: String?

    @Option(help: "Write the Markdown table here (for BENCHMARKS.md).")
    var markdown: String?

    mutating func run() throws {
        let runs = quick ? 3 : self.runs
        let fullPassRuns = quick ? 3 : self.fullPassRuns
        let groups = Set((only ?? "engine,layer-report,dashboard,resnet").split(separator: ",").map(String.init))
        let withResnet = !quick && !noResnet && groups.contains("resnet")
        if groups.contains("search") {
            let rows = try SearchBenchmarks(threads: threads).run()
            let table = SearchBenchmarks.markdown(rows, maxDrop: 1)
            print(table)
            if let markdown { try table.write(toFile: markdown, atomically: true, encoding: .utf8) }
            if groups.count == 1 { return }
        }
        if groups.contains("finetune") {
            let table = try FinetuneBenchmarks(threads: threads, withPeer: !noPeers).run()
            print(table)
            if let markdown { try table.write(toFile: markdown, atomically: true, encoding: .utf8) }
            if groups.count == 1 { return }
        }
        if groups.contains("integer") || (quick && only == nil) {
            // Not in the default set (the ResNet-18-sized pass takes minutes); --quick runs the
            // demo models only, 3 runs.
            let integer = try IntegerBenchmarks(
                threads: threads, runs: quick ? 3 : runs, resnetRuns: integerResnetRuns,
                resnetDirectory: quick || noResnet ? nil : resnetDirectory, resnetImages: integerResnetImages,
                withPeers: !noPeers
            ).run()
            let table = IntegerBenchmarks.markdown(integer)
            print(table)
            if let markdown, groups == ["integer"] {
                try table.write(toFile: markdown, atomically: true, encoding: .utf8)
            }
            if let json, groups == ["integer"] {
                try Report(ours: integer, peers: nil, threads: threads, gemmVariant: GEMM.kernelVariant).json().write(
                    to: URL(fileURLWithPath: json))
            }
            if groups == ["integer"] { return }
        }
        if groups.contains("scale") {
            let scale = try ImageNetBenchmarks(
                models: scaleModels.split(separator: ",").map(String.init), directory: scaleDirectory,
                images: scaleImages, batchSize: scaleBatch, runs: scaleRuns, threads: threads, fmaPerCycle: fmaPerCycle,
                alsoWithoutDepthwiseKernel: scaleWithoutDepthwiseKernel, alsoWithoutWinograd: scaleWithoutWinograd,
                alsoWithoutChaining: scaleWithoutChaining
            ).run()
            print(scale.markdown)
            if let markdown { try scale.markdown.write(toFile: markdown, atomically: true, encoding: .utf8) }
            if groups.count == 1 { return }
        }
        var peers: PeerResults?
        // The peers' figures pair with the demo-model groups only (scale groups run their own).
        let pairedGroups: Set<String> = ["engine", "full-pass", "layer-report", "dashboard", "resnet"]
        if !noPeers, !groups.isDisjoint(with: pairedGroups) {
            peers = try PeerResults.measure(
                runs: runs, fullPassRuns: fullPassRuns, threads: threads, quick: quick,
                resnetDirectory: withResnet ? resnetDirectory : nil)
        }
        if withResnet { try ensureResnetFiles() }
        var ours: [Measurement] = []
        let engine = EngineBenchmarks(runs: runs, fullPassRuns: fullPassRuns, threads: threads)
        let chosenModels = BundledModel.allCases.filter { model in
            models.map { $0.split(separator: ",").contains(Substring(model.commandLineName)) } ?? true
        }
        for model in chosenModels where groups.contains("engine") || groups.contains("full-pass") {
            log("full-float-pass \(model.commandLineName)")
            ours.append(try engine.fullFloatPass(model))
            guard groups.contains("engine") else { continue }
            log("per-change \(model.commandLineName)")
            ours += try engine.perChange(model)
        }
        if groups.contains("layer-report") {
            log("layer-report")
            ours += try engine.layerReport()
        }
        if groups.contains("dashboard") {
            log("render-flush")
            ours += try DashboardBenchmarks(runs: max(runs, 5)).renderAndFlush()
        }
        if !groups.contains("dashboard") {
            // skipped
        } else if FileManager.default.isExecutableFile(atPath: quantdash) {
            log("startup and peak memory of \(quantdash)")
            ours += try DashboardBenchmarks(runs: quick ? 2 : runs).startupAndMemory(binary: quantdash)
        } else {
            log("skipping startup/memory: no executable at \(quantdash) (swift build -c release first)")
        }
        if withResnet {
            log("resnet18")
            ours += try ScaleBenchmarks(
                modelPath: resnetDirectory + "/resnet18.onnx", dataPath: resnetDirectory + "/resnet18-data.npz",
                threads: threads, fullPassRuns: 3
            ).run()
        }
        let scale = ScaleMemoryBenchmarks(
            modelPath: scaleModel, directory: resnetDirectory, binary: quantdash, threads: threads)
        if groups.contains("scale-memory") { ours += try scale.peakMemory() }
        if groups.contains("scale-latency") { ours += try scale.latency(images: scaleLatencyImages) }
        let report = Report(ours: ours, peers: peers, threads: threads, gemmVariant: GEMM.kernelVariant)
        print(report.markdown())
        if let markdown { try report.markdown().write(toFile: markdown, atomically: true, encoding: .utf8) }
        if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
        let missed = report.missedTargets()
        if !missed.isEmpty { log("targets missed: \(missed.joined(separator: "; "))") }
    }

    /// Makes the ResNet-18 files with the peers' venv when they are missing.
    func ensureResnetFiles() throws {
        let model = resnetDirectory + "/resnet18.onnx", data = resnetDirectory + "/resnet18-data.npz"
        if FileManager.default.fileExists(atPath: model) && FileManager.default.fileExists(atPath: data) { return }
        log("making the synthetic ResNet-18 in \(resnetDirectory)")
        try PeerResults.runPython(["Benchmarks/peers/make_resnet18.py", "--out", resnetDirectory])
    }
}

/// Progress on standard error (the table goes to standard output).
func log(_ message: String) {
    FileHandle.standardError.write(Data("· \(message)\n".utf8))
}
