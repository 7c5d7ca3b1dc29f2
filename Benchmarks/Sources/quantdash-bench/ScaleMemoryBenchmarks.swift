import Foundation
import QuantCore
import QuantTUI

/// Issue 12's memory and latency figures on an ImageNet-size model (ResNet-50 made with random
/// weights by `Benchmarks/peers/make_imagenet_models.py`):
/// - peak RSS of `quantdash eval` at 32, 256 and 1000 images (streamed `.npy` data, written here
///   from a fixed seed), and the ratio 1000 : 32;
/// - key-to-frame latency while an exact evaluation runs (the dashboard's reducer and renderer
///   on a recording backend, the engine working on both cores);
/// - per-change latency with the activation cache: a change in the last stage until the exact
///   result, and a change at the first layer until the first estimate.
struct ScaleMemoryBenchmarks {
    /// The ONNX model (input `[N, 3, 224, 224]`).
    var modelPath: String
    /// Where the `.npy` data files are written.
    var directory: String
    /// The release quantdash binary.
    var binary: String
    /// Image counts for the peak-RSS runs.
    var counts: [Int] = [32, 256, 1000]
    /// Worker threads.
    var threads: Int

    /// The data files for `count` images: standard-normal float32 `[count, 3, 224, 224]` and labels.
    func dataFiles(count: Int) throws -> (images: String, labels: String) {
        let images = "\(directory)/scale-x\(count).npy", labels = "\(directory)/scale-y\(count).npy"
        if FileManager.default.fileExists(atPath: images), FileManager.default.fileExists(atPath: labels) {
            return (images, labels)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let perImage = 3 * 224 * 224
        var random = SplitMix64(seed: 12)
        guard
            FileManager.default.createFile(
                atPath: images, contents: Self.npyHeader(descr: "<f4", shape: [count, 3, 224, 224]))
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: images]) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: images))
        try handle.seekToEnd()
        for _ in 0..<count {
            let values = (0..<perImage).map { _ in random.nextGaussian() }
            try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
        }
        try handle.close()
        var labelData = Self.npyHeader(descr: "<i8", shape: [count])
        for index in 0..<count {
            withUnsafeBytes(of: Int64(index * 7919 % 1000).littleEndian) { labelData.append(contentsOf: $0) }
        }
        try labelData.write(to: URL(fileURLWithPath: labels))
        return (images, labels)
    }

    /// Peak RSS of `quantdash eval` per image count, and the ratio of the largest to the smallest.
    func peakMemory() throws -> [Measurement] {
        var results: [Measurement] = []
        var peaks: [Int: Double] = [:]
        for count in counts {
            let files = try dataFiles(count: count)
            log("scale: eval on \(count) images")
            let start = Timing.nowMilliseconds()
            let (status, maxResidentKiB) = try Self.run(
                binary, ["eval", "--model", modelPath, "--data", files.images, "--labels", files.labels])
            guard status == 0 else { throw BenchError("quantdash eval on \(count) images exited with \(status)") }
            let seconds = (Timing.nowMilliseconds() - start) / 1000
            peaks[count] = Double(maxResidentKiB) / 1024
            results.append(
                Measurement(
                    benchmark: "scale-peak-rss", subject: "resnet50", system: "quantdash",
                    variant: "eval, \(count) images 224², \(threads) threads", median: Double(maxResidentKiB) / 1024,
                    unit: "MiB", runs: 1, target: count >= 1000 ? 1536 : nil,
                    detail: ["seconds": String(format: "%.1f", seconds)]))
        }
        if let small = counts.min(), let large = counts.max(), let low = peaks[small], let high = peaks[large], low > 0
        {
            results.append(
                Measurement(
                    benchmark: "scale-rss-growth", subject: "resnet50", system: "quantdash",
                    variant: "peak RSS \(large) images / \(small) images", median: high / low, unit: "×", runs: 1,
                    target: 1.25))
        }
        return results
    }

    /// Key-to-frame latency during an exact evaluation, and per-change latency with the cache.
    func latency(images count: Int) throws -> [Measurement] {
        let files = try dataFiles(count: count)
        let graph = try ONNXModel.load(contentsOf: URL(fileURLWithPath: modelPath))
        var options = DatasetLoadOptions()
        options.labelsPath = files.labels
        let data = try DatasetLoader.load(path: files.images, options: options)
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        workbench.threadCount = threads
        workbench.batchSize = Workbench.recommendedBatchSize(sampleElementCount: data.sampleElementCount, limit: 250)
        // Per change first, as a user meets it: the float baseline fills the activation cache,
        // then one change in the last stage (exact from the cached boundary before it) and one at
        // the first layer (everything re-runs: the first estimate is timed).
        let engine = Engine(workbench: workbench, estimateSize: 200)
        log("scale: float baseline on \(count) images (fills the activation cache)")
        _ = try engine.floatReport()
        let cached = workbench.cachedActivationBytes
        let last = workbench.layers[workbench.layers.count - 2].name  // the last conv before the classifier
        var plan = QuantPlan()
        plan.layers[last] = LayerSettings(bitWidth: 4)
        var start = Timing.nowMilliseconds()
        _ = try engine.evaluate(plan)
        var results = [
            Measurement(
                benchmark: "scale-change-last-stage", subject: "resnet50", system: "quantdash",
                variant: "\(last) to 4 bits, until exact on \(count) images", median: Timing.nowMilliseconds() - start,
                runs: 1, target: 2000, detail: ["cache": Formatting.bytes(cached)])
        ]
        log(
            String(format: "scale: last-stage change exact in %.0f ms", results[0].median)
                + " (activation cache \(Formatting.bytes(cached)))")
        plan.layers[workbench.layers[0].name] = LayerSettings(bitWidth: 4)
        start = Timing.nowMilliseconds()
        let generation = engine.submit(plan)
        var firstEstimate: Double?
        while firstEstimate == nil, Timing.nowMilliseconds() - start < 120_000 {
            for case .evaluated(generation, let report) in engine.drain() where !report.isExact {
                firstEstimate = Timing.nowMilliseconds() - start
            }
            usleep(2000)
        }
        engine.shutDown()
        engine.waitUntilIdle()
        results.append(
            Measurement(
                benchmark: "scale-change-first-layer", subject: "resnet50", system: "quantdash",
                variant: "first layer to 4 bits, until the first estimate", median: firstEstimate ?? .infinity,
                runs: 1, target: 1000))
        // Then key-to-frame while the dashboard's engine evaluates: its keys change early layers,
        // so each plan re-runs all images.
        let backend = RecordingBackend(size: Size(width: 120, height: 40))
        let state = AppState(layers: workbench.layers, modelName: "resnet50", dataName: "\(count) images")
        let app = DashboardApp(workbench: workbench, backend: backend, state: state, persistence: nil)
        app.start()
        app.render()
        usleep(500_000)
        var latencies: [Double] = []
        let keys: [Key] = [.down, .down, .character("+"), .up, .character("-"), .character("f")]
        for round in 0..<40 {
            let key = keys[round % keys.count]
            let start = Timing.nowMilliseconds()
            app.handle(.key(key))
            app.render()
            latencies.append(Timing.nowMilliseconds() - start)
            usleep(50_000)
        }
        app.stop()
        log(
            String(
                format: "scale: key-to-frame median %.1f ms, max %.1f ms while evaluating", Timing.median(latencies),
                latencies.max() ?? 0))
        results.insert(
            Measurement(
                benchmark: "scale-key-to-frame", subject: "resnet50", system: "quantdash",
                variant: "key handled and frame rendered while the engine evaluates \(count) images",
                median: Timing.median(latencies), runs: latencies.count, target: 50,
                detail: ["max": String(format: "%.1f ms", latencies.max() ?? 0)]), at: 0)
        return results
    }

    /// A version 1.0 `.npy` header for `shape`.
    static func npyHeader(descr: String, shape: [Int]) -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        data.append(UInt8(header.utf8.count & 0xFF))
        data.append(UInt8(header.utf8.count >> 8))
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// Runs `binary` with `arguments` (output discarded) and returns its status and peak RSS.
    static func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, maxResidentKiB: Int) {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard result == 0 else { throw BenchError("cannot start \(binary): \(String(cString: strerror(result)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0, errno == EINTR {}
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), usage.ru_maxrss)
    }
}
