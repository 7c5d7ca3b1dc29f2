import CKernels
import Foundation
import QuantCore

/// The `scale` section: a whole float pass over ImageNet-size CNNs (ResNet-50, MobileNetV2,
/// VGG-19, DenseNet-121 with random weights, `Benchmarks/peers/make_imagenet_models.py`) beside
/// onnxruntime in the same run (`Benchmarks/peers/scale_peer.py --serve`, its runs alternating
/// with ours run by run), with GFLOP/s beside the machine's FMA peak.
struct ImageNetBenchmarks {
    /// Models, in the scripts' names.
    var models: [String]
    /// Folder of the model and data files (made on first use).
    var directory: String
    /// Images per pass (the first of imagenet-data.npz).
    var images: Int
    /// Images per batch, ours and onnxruntime's.
    var batchSize: Int
    /// Timed passes (median reported).
    var runs: Int
    /// Worker threads, ours and onnxruntime's.
    var threads: Int
    /// FMA instructions a core starts per cycle at full vector width, when not estimated.
    var fmaPerCycle: Int?
    /// Also time our pass with the direct depthwise kernel off (im2col + GEMM per channel).
    var alsoWithoutDepthwiseKernel = false
    /// Also time our pass with Winograd's 3×3 path off (im2col + GEMM).
    var alsoWithoutWinograd = false
    /// Also time our pass with pointwise → depthwise convolutions run apart.
    var alsoWithoutChaining = false

    /// What `scale_peer.py` writes.
    struct PeerFile: Decodable {
        struct Model: Decodable {
            var median_ms: Double
            var multiply_adds_per_image: Double
            var parameters: Int
            var logits_first_two: [[Double]]
        }
        var models: [String: Model]
    }

    /// One model's figures.
    struct Row {
        var model: String
        var ours: Double
        var onnxruntime: Double
        /// Ours over onnxruntime's, run i with run i.
        var ratios: PairedRatios
        var multiplyAdds: Double
        var logitDifference: Float
        var logitScale: Float
        /// Ours with depthwise convolutions through im2col + GEMM, when timed.
        var withoutDepthwiseKernel: Double?
        /// Ours with the wide 3×3 convolutions through im2col + GEMM, when timed.
        var withoutWinograd: Double?
        /// Ours with each pointwise convolution and the depthwise one after it run apart, when timed.
        var withoutChaining: Double?
    }

    func run() throws -> (rows: [Row], markdown: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("quantdash-scale-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let server = try PeerServer([
            "Benchmarks/peers/scale_peer.py", "--dir", directory, "--json", output.path, "--models",
            models.joined(separator: ","), "--images", "\(images)", "--batch", "\(batchSize)", "--threads",
            "\(threads)",
        ])
        defer { server.close() }
        let peers = try JSONDecoder().decode(PeerFile.self, from: Data(contentsOf: output))
        let data = try DatasetLoader.load(path: directory + "/imagenet-data.npz").first(images)
        var rows: [Row] = []
        for model in models {
            guard let peer = peers.models[model] else { throw BenchError("scale_peer.py gave no figures for \(model)") }
            log("scale \(model): \(images) images, \(threads) threads, alternating with onnxruntime")
            rows.append(try measure(model, data: data, peer: peer, server: server))
        }
        return (rows, markdown(rows))
    }

    /// Our whole float pass over `data` with `model`, as `eval` runs it (`Workbench`, no cache),
    /// and onnxruntime's, alternating run by run (which goes first alternates too).
    func measure(_ model: String, data: Dataset, peer: PeerFile.Model, server: PeerServer) throws -> Row {
        let graph = try ONNXModel.load(contentsOf: URL(fileURLWithPath: directory + "/\(model).onnx"))
        // Warm-up on the first batch (packs the weights), and the agreement check with onnxruntime.
        let first = data.first(min(max(batchSize, 2), data.count))  // two images to compare, even at batch 1
        let logits = try GraphExecutor(graph: graph).run([graph.inputs[0].name: first.images])
        guard let values = logits[graph.outputs[0].name]?.storage, values.count >= 2 * 1000 else {
            throw BenchError("\(model): no [N, 1000] logits")
        }
        let expected = peer.logits_first_two.flatMap { $0.map(Float.init) }
        let difference = zip(values.prefix(expected.count), expected).map { abs($0 - $1) }.max() ?? .nan
        let scale = expected.map(abs).max() ?? 0
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        workbench.threadCount = threads
        workbench.batchSize = batchSize
        workbench.activationCacheBytes = 0
        var passes: [Double] = [], theirs: [Double] = []
        for run in 0..<runs {
            if run % 2 == 1 { theirs.append(try server.time(model)) }
            passes.append(try PeerServer.timeOurs { _ = try workbench.evaluateFromScratch(nil) })
            if run % 2 == 0 { theirs.append(try server.time(model)) }
        }
        let milliseconds = { (times: [Double]) in times.map { Int($0.rounded()) } }
        log("scale \(model): ours \(milliseconds(passes)) ms, onnxruntime \(milliseconds(theirs)) ms, run by run")
        var row = Row(
            model: model, ours: Timing.median(passes), onnxruntime: Timing.median(theirs),
            ratios: PairedRatios(passes, theirs), multiplyAdds: peer.multiply_adds_per_image,
            logitDifference: difference, logitScale: scale)
        // Our pass again with one of the engine's convolution paths off, where the model has it.
        func timedWithout(_ what: String, _ setEnabled: (Bool) -> Void) throws -> Double {
            log("scale \(model): \(what)")
            setEnabled(false)
            defer { setEnabled(true) }
            return Timing.median(
                try Timing.samples(runs: runs, warmUp: 1) { _ in _ = try workbench.evaluateFromScratch(nil) })
        }
        let convolutions = graph.nodes.compactMap { node -> (ConvAttributes, [Int])? in
            guard case .conv(let attributes) = node.op, let weight = graph.initializers[node.inputs[1]] else {
                return nil
            }
            return (attributes, weight.shape)
        }
        if alsoWithoutDepthwiseKernel,
            convolutions.contains(where: { $0.group > 1 && $1.count == 4 && $1[1] == 1 })
        {
            row.withoutDepthwiseKernel = try timedWithout("depthwise convolutions through im2col + GEMM") {
                DepthwiseConvolution.isEnabled = $0
            }
        }
        if alsoWithoutWinograd,
            convolutions.contains(where: { attributes, shape in
                attributes.group == 1 && attributes.strides.allSatisfy { $0 == 1 } && shape.count == 4
                    && shape[1] >= WinogradConvolution.minimumInputChannels && shape[2] == 3 && shape[3] == 3
            })
        {
            row.withoutWinograd = try timedWithout("3×3 convolutions through im2col + GEMM") {
                WinogradConvolution.isEnabled = $0
            }
        }
        if alsoWithoutChaining, convolutions.contains(where: { $0.group > 1 && $1.count == 4 && $1[1] == 1 }) {
            row.withoutChaining = try timedWithout("pointwise → depthwise convolutions apart") {
                PointwiseDepthwiseConvolution.isEnabled = $0
            }
        }
        return row
    }

    /// The table for BENCHMARKS.md, with how the peak was estimated.
    func markdown(_ rows: [Row]) -> String {
        let peak = FMAPeak.estimate(threads: threads, fmaPerCycle: fmaPerCycle)
        var lines = [
            "Whole float pass, \(images) images 3×224×224, batches of \(batchSize), \(threads) threads, median of "
                + "\(runs) runs, onnxruntime's and ours alternating run by run; the ratio is the median of the "
                + "per-run ratios. \(peak.explanation) GFLOP/s count each model's direct multiply-adds (two flops "
                + "each); quantdash's Winograd layers (3×3, stride 1, ≥ 64 input channels) do 2.25× fewer, so its "
                + "rate can pass the peak.",
            "",
            "| model | G multiply-adds / image | quantdash | onnxruntime | ratio | per-run ratios | quantdash GFLOP/s | "
                + "onnxruntime GFLOP/s | % of peak (ours) | % of peak (onnxruntime) | max logit difference | "
                + "target ≤ 1.2× | met |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
        ]
        for row in rows {
            let flops = 2 * row.multiplyAdds * Double(images)
            let ours = flops / (row.ours / 1000) / 1e9, theirs = flops / (row.onnxruntime / 1000) / 1e9
            let ratio = row.ratios.median
            lines.append(
                "| \(row.model) | \(String(format: "%.2f", row.multiplyAdds / 1e9)) | "
                    + "\(String(format: "%.0f ms", row.ours)) | \(String(format: "%.0f ms", row.onnxruntime)) | "
                    + "\(String(format: "%.2f×", ratio)) | \(row.ratios.range) | \(String(format: "%.1f", ours)) | "
                    + "\(String(format: "%.1f", theirs)) | \(String(format: "%.0f %%", 100 * ours / peak.gigaflops)) | "
                    + "\(String(format: "%.0f %%", 100 * theirs / peak.gigaflops)) | "
                    + "\(String(format: "%.1e", row.logitDifference)) (logits up to "
                    + "\(String(format: "%.1f", row.logitScale))) | ≤ 1.2× | \(ratio <= 1.2 ? "yes" : "no") |")
        }
        // Where a path was also timed off: (the time, what ran instead, the path) per model.
        let comparisons: [(Row) -> (Double?, String, String)] = [
            { ($0.withoutDepthwiseKernel, "its depthwise convolutions through im2col + GEMM", "the direct kernel") },
            { ($0.withoutWinograd, "its 3×3 stride-1 convolutions through im2col + GEMM", "Winograd's algorithm") },
            {
                (
                    $0.withoutChaining, "each pointwise convolution and the depthwise one reading it run apart",
                    "chaining them"
                )
            },
        ]
        for comparison in comparisons {
            for row in rows {
                let (time, convolutions, path) = comparison(row)
                guard let before = time else { continue }
                lines.append(
                    "\n\(row.model) with \(convolutions) (the path before \(path)), "
                        + "same run: \(String(format: "%.0f ms", before)), "
                        + "\(String(format: "%.2f×", before / row.onnxruntime)) onnxruntime's time; \(path) makes "
                        + "the pass \(String(format: "%.2f×", before / row.ours)) faster.")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// The machine's single-precision FMA peak for `threads` cores: measured on this thread
/// (`ck_fma_gigaflops`: independent FMA chains at the GEMM kernel's width, best of five probes)
/// × threads, since a virtual machine's /proc/cpuinfo gives the nominal clock, not the one the
/// cores run at; the nominal estimate (lanes × FMA instructions per cycle × 2 flops × clock) is
/// given beside it, and used where the probe has no kernel (not x86-64).
struct FMAPeak {
    var gigaflops: Double
    var explanation: String

    /// The nominal figure's FMA instructions per cycle: `fmaPerCycle`, else 1 on AMD Zen 1
    /// (family 23, model below 0x30: two 128-bit FMA pipes, a 256-bit FMA takes both) and on Zen 4
    /// with AVX-512 (512-bit FMAs double-pumped), 2 otherwise.
    static func estimate(threads: Int, fmaPerCycle: Int?) -> FMAPeak {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(name) }.flatMap { $0.split(separator: ":").last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let megahertz = field("cpu MHz").flatMap(Double.init) ?? .nan
        let family = field("cpu family").flatMap { Int($0) } ?? 0
        let model = field("model\t").flatMap { Int($0) } ?? 0
        let amd = field("vendor_id") == "AuthenticAMD"
        let variant = GEMM.kernelVariant
        let lanes = variant == "avx512" ? 16 : variant == "avx2-fma" ? 8 : 4
        let estimated = (amd && family == 23 && model < 0x30) || (amd && family == 25 && lanes == 16) ? 1 : 2
        let perCycle = fmaPerCycle ?? estimated
        let nominal = Double(lanes * perCycle * 2 * threads) * megahertz / 1000
        let nominalText =
            "\(lanes) lanes (\(variant)) × \(perCycle) FMA/cycle"
            + (fmaPerCycle == nil ? " (estimated for CPU family \(family) model \(model))" : "")
            + " × 2 flops × \(String(format: "%.0f", megahertz)) MHz (/proc/cpuinfo) × \(threads) cores"
        let probes = (0..<5).map { _ in ck_fma_gigaflops(Int32(lanes), 20_000_000) }
        guard let perCore = probes.max(), perCore > 0 else {
            return FMAPeak(
                gigaflops: nominal,
                explanation: "FMA peak \(String(format: "%.0f", nominal)) GFLOP/s = \(nominalText) (nominal).")
        }
        let measured = perCore * Double(threads)
        return FMAPeak(
            gigaflops: measured,
            explanation: "FMA peak \(String(format: "%.0f", measured)) GFLOP/s measured: "
                + "\(String(format: "%.1f", perCore)) per core (independent \(lanes)-lane FMA chains, best of 5 probes) "
                + "× \(threads) cores; nominal \(String(format: "%.0f", nominal)) = \(nominalText).")
    }
}
