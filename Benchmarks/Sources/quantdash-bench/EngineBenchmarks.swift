import Foundation
import QuantCore

/// The engine's benchmarks: a full float pass, the per-change latency, a layer report.
struct EngineBenchmarks {
    /// Timed runs per figure.
    var runs: Int
    /// Timed runs of a full float pass.
    var fullPassRuns: Int
    /// Worker threads (the peers get the same number).
    var threads: Int

    /// The demo model `model` on the 1000 held-out digits, in the dashboard's batches over `threads` workers.
    func workbench(_ model: BundledModel) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: model.url)
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
        workbench.threadCount = threads
        // The dashboard's batch size (DashboardCommand): 250 for MNIST.
        workbench.batchSize = Workbench.recommendedBatchSize(
            sampleElementCount: workbench.heldOut.sampleElementCount, limit: 250)
        return workbench
    }

    /// Benchmark 1: the float model over the whole held-out set, from the data (no cache).
    func fullFloatPass(_ model: BundledModel) throws -> Measurement {
        let workbench = try workbench(model)
        var correct = 0
        let samples = try Timing.samples(runs: fullPassRuns) { _ in
            correct = try workbench.evaluateFromScratch(nil).correctCount
        }
        return Measurement(
            benchmark: "full-float-pass", subject: model.commandLineName, system: "quantdash",
            variant: "\(threads) threads, batches of \(workbench.batchSize)", median: Timing.median(samples),
            runs: fullPassRuns,
            detail: ["correct": "\(correct)", "kernel": GEMM.kernelVariant])
    }

    /// Benchmark 2: one change (a layer set to b-bit symmetric per-channel, b cycling 2…8, the
    /// other layers float) until the exact held-out top-1 is known: `apply` re-quantizes the
    /// layer (its cached report dropped first, so nothing is reused but the float model's
    /// activations up to the layer) and `evaluate` re-runs the graph from that layer on.
    ///
    /// - Returns: one measurement per layer and the median over all layers (`variant` "all layers");
    ///   `detail` holds the correct counts per bit width for the cross-check with the peers.
    func perChange(_ model: BundledModel) throws -> [Measurement] {
        let workbench = try workbench(model)
        _ = try workbench.floatReport()  // the state a user starts from: float, cached
        var all: [Double] = []
        var results: [Measurement] = []
        for layer in workbench.layers {
            var correctByBits: [Int: Int] = [:]
            let samples = try Timing.samples(runs: runs) { run in
                let bits = 2 + (run + 7) % 7
                workbench.removeLayerReports()
                let plan = QuantPlan(layers: [layer.name: LayerSettings(bitWidth: bits)])
                let report = try workbench.evaluate(workbench.apply(plan))
                correctByBits[bits] = report.correctCount
            }
            all += samples
            let detail = correctByBits.sorted { $0.key < $1.key }.map { "\($0.key)b:\($0.value)" }
            results.append(
                Measurement(
                    benchmark: "per-change", subject: model.commandLineName, system: "quantdash",
                    variant: layer.name, median: Timing.median(samples), runs: runs,
                    detail: ["correct by bits": detail.joined(separator: " ")]))
        }
        results.append(
            Measurement(
                benchmark: "per-change", subject: model.commandLineName, system: "quantdash", variant: "all layers",
                median: Timing.median(all), runs: all.count, target: model == .mlp ? 5 : 10))
        return results
    }

    /// Benchmark 3: the layer report of a 1,048,576-weight layer (Gemm 1024×1024, weights
    /// ~ N(0, 0.03²) from a fixed seed): quantize, metrics, size, and a 64-bin histogram.
    /// Targets are the (8-bit per-channel, 4-bit k-means) and the same 5 ms for 4-bit
    /// per-tensor; the pruned variant is shown for information.
    func layerReport() throws -> [Measurement] {
        let workbench = try Self.largeLayerWorkbench()
        guard let layer = workbench.layers.first else { return [] }
        let settings: [(String, LayerSettings, Double)] = [
            ("8-bit symmetric per-channel", LayerSettings(bitWidth: 8), 5),
            ("4-bit symmetric per-tensor", LayerSettings(bitWidth: 4, granularity: .tensor), 5),
            ("4-bit k-means", LayerSettings(bitWidth: 4, scheme: .kmeans), 50),
            ("8-bit, pruned below 0.01", LayerSettings(bitWidth: 8, pruning: .threshold(0.01)), .nan),
        ]
        let chosen = ProcessInfo.processInfo.environment["QUANTDASH_BENCH_LAYER_SETTING"].flatMap(Int.init)
        return try settings.enumerated().filter { chosen == nil || $0.offset == chosen }.map(\.element).map {
            label, settings, target in
            var levels = 0
            let samples = try Timing.samples(runs: runs) { _ in
                workbench.removeLayerReports()
                let report = try workbench.layerReport(for: layer.name, settings: settings)
                levels = report.histogram(binCount: 64).levels.count
            }
            return Measurement(
                benchmark: "layer-report", subject: "1M weights", system: "quantdash", variant: label,
                median: Timing.median(samples), runs: runs, target: target.isNaN ? nil : target,
                detail: ["levels": "\(levels)"])
        }
    }

    /// A one-layer model (Gemm, weight [1024, 1024]) with one held-out sample.
    static func largeLayerWorkbench() throws -> Workbench {
        let size = 1024
        var generator = SeededGenerator(seed: 42)
        let weights = (0..<(size * size)).map { _ in generator.nextGaussian() * 0.03 }
        let graph = Graph(
            name: "large-layer", inputs: [ValueInfo(name: "x", shape: [nil, size])],
            outputs: [ValueInfo(name: "y", shape: [nil, size])],
            initializers: ["fc.weight": Tensor(shape: [size, size], storage: weights)],
            nodes: [
                Node(
                    name: "fc", op: .gemm(GemmAttributes(transposeB: true)), inputs: ["x", "fc.weight"],
                    outputs: ["y"])
            ])
        let data = try Dataset(
            name: "one sample", images: Tensor(shape: [1, size], repeating: 0.5), labels: [0], classCount: size)
        return try Workbench(graph: graph, heldOut: data, calibration: nil)
    }
}

/// A small seeded generator for synthetic weights (SplitMix64 + Box–Muller).
struct SeededGenerator {
    private var state: UInt64

    /// Starts from `seed`.
    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func nextUnit() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992 }

    /// A standard normal sample.
    mutating func nextGaussian() -> Float {
        Float((-2 * log(nextUnit())).squareRoot() * cos(2 * Double.pi * nextUnit()))
    }
}
