import Foundation
import QuantCore
import QuantTUI

/// Benchmark 5: a synthetic ResNet-18-sized model (11.7 M parameters, made by
/// `Benchmarks/peers/make_resnet18.py`) with 256 random 3×224×224 images.
struct ScaleBenchmarks {
    /// The ONNX model.
    var modelPath: String
    /// The `.npz` with `x` [256, 3, 224, 224] and `y`.
    var dataPath: String
    /// Worker threads.
    var threads: Int
    /// Timed runs for the full pass (each takes seconds).
    var fullPassRuns: Int

    func run() throws -> [Measurement] {
        var results: [Measurement] = []
        let openStart = Timing.nowMilliseconds()
        let graph = try ONNXModel.load(contentsOf: URL(fileURLWithPath: modelPath))
        let data = try DatasetLoader.load(path: dataPath)
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        workbench.threadCount = threads
        workbench.batchSize = 8  // 8 × 3×224×224 images: activations stay in the tens of MiB
        let parameters = workbench.layers.reduce(0) { $0 + $1.weightCount + $1.biasCount }
        results.append(
            Measurement(
                benchmark: "resnet18-open", subject: "resnet18", system: "quantdash", variant: "load model + data",
                median: Timing.nowMilliseconds() - openStart, runs: 1,
                detail: ["layers": "\(workbench.layers.count)", "parameters": "\(parameters)"]))

        // A change: one layer to 8-bit per-channel, its report (quantize, metrics, size, histogram).
        var perLayer: [Double] = []
        var slowest = (name: "", milliseconds: 0.0)
        for layer in workbench.layers {
            let start = Timing.nowMilliseconds()
            let report = try workbench.layerReport(for: layer.name, settings: LayerSettings(bitWidth: 8))
            _ = report.histogram(binCount: 64)
            let elapsed = Timing.nowMilliseconds() - start
            perLayer.append(elapsed)
            if elapsed > slowest.milliseconds { slowest = (layer.name, elapsed) }
        }
        results.append(
            Measurement(
                benchmark: "resnet18-layer-report", subject: "resnet18", system: "quantdash",
                variant: "8-bit per-channel, median over \(perLayer.count) layers", median: Timing.median(perLayer),
                runs: perLayer.count, target: 50,
                detail: ["slowest": "\(slowest.name) \(String(format: "%.1f", slowest.milliseconds)) ms"]))

        // The full float pass over the 256 images.
        workbench.activationCacheBytes = 0
        let passes = try Timing.samples(runs: fullPassRuns, warmUp: 0) { _ in
            _ = try workbench.evaluateFromScratch(nil)
        }
        results.append(
            Measurement(
                benchmark: "resnet18-float-pass", subject: "resnet18", system: "quantdash",
                variant: "256 images, \(threads) threads, batches of 8", median: Timing.median(passes),
                runs: passes.count))

        results.append(try cancellation(workbench: workbench))
        return results
    }

    /// A plan's exact evaluation is running (progress shown); the next change cancels it. Measures
    /// the time from submitting the newer plan until the older one has stopped and the newer one
    /// reports progress.
    func cancellation(workbench: Workbench) throws -> Measurement {
        let engine = Engine(workbench: workbench, estimateSize: 0)
        _ = try workbench.floatReport()
        engine.submit(QuantPlan(defaults: LayerSettings(bitWidth: 8)), generation: 1)
        var firstProgress: [Double] = []
        let deadline = Timing.nowMilliseconds() + 120_000
        while firstProgress.count < 2 && Timing.nowMilliseconds() < deadline {
            for case .progress(1, let progress) in engine.drain() { firstProgress.append(progress.fraction) }
            usleep(1000)
        }
        let submitted = Timing.nowMilliseconds()
        engine.submit(QuantPlan(defaults: LayerSettings(bitWidth: 6)), generation: 2)
        var latency: Double?
        var didFirstFinish = false
        while latency == nil && Timing.nowMilliseconds() < deadline {
            for event in engine.drain() {
                switch event {
                case .progress(2, _), .evaluated(2, _):
                    if latency == nil { latency = Timing.nowMilliseconds() - submitted }
                case .evaluated(1, _):
                    didFirstFinish = true
                default:
                    break
                }
            }
            usleep(500)
        }
        engine.waitUntilIdle()
        for case .evaluated(1, _) in engine.drain() { didFirstFinish = true }
        return Measurement(
            benchmark: "resnet18-cancel", subject: "resnet18", system: "quantdash",
            variant: "next change → stale run stopped, new progress", median: latency ?? .nan, runs: 1,
            detail: [
                "stale plan finished": didFirstFinish ? "yes (bad)" : "no",
                "progress seen before": firstProgress.map { String(format: "%.2f", $0) }.joined(separator: " "),
            ])
    }
}
