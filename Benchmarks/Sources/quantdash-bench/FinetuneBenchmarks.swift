import Foundation
import QuantCore

/// Issue 17, point 5: quantization-aware fine-tuning with distillation (`FineTuner`, the recipe of
/// `quantdash finetune`) on the demo CNN at 2-bit asymmetric per-channel weights and the demo MLP
/// at 80 % sparsity, beside PyTorch doing the same fine-tuning (`Benchmarks/peers/finetune_peer.py`:
/// same plan semantics, teacher, temperature, label weight, learning rate, batch size and epochs).
/// Not in the default set: `quantdash-bench --only finetune`.
struct FinetuneBenchmarks {
    /// Worker threads (our gradient parts; PyTorch's intra-op threads).
    var threads: Int
    /// Whether to run the PyTorch peer.
    var withPeer: Bool
    /// Epochs for both (the `quantdash finetune` default).
    var epochs = FineTuner.Options().epochs

    /// One case: a demo model and a plan.
    struct Case {
        var model: BundledModel
        var label: String
        var plan: QuantPlan
        var peerArguments: [String]
        /// How scales are set while training.
        var scales = FineTuner.ScaleMode.derived
    }

    /// One measured row.
    struct Row {
        var label: String
        var floatTop1: Double
        var before: Double
        var after: Double
        var trainingSeconds: Double
        var wallSeconds: Double
        var cpuSeconds: Double
        var peer: (before: Double, after: Double, seconds: Double, cpuSeconds: Double, version: String)?
    }

    static let cases: [Case] = [
        Case(
            model: .cnn, label: "demo CNN, 2-bit asymmetric per-channel weights",
            plan: QuantPlan(defaults: LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)),
            peerArguments: ["--bits", "2"]),
        Case(
            model: .mlp, label: "demo MLP, 80 % sparsity (float weights)",
            plan: QuantPlan(defaults: LayerSettings(pruning: .sparsity(0.8))), peerArguments: ["--sparsity", "0.8"]),
        // The same CNN case with `--scales kept`: no peer run (PyTorch's figure is the first row's).
        Case(
            model: .cnn, label: "demo CNN, 2-bit, kept scales",
            plan: QuantPlan(defaults: LayerSettings(bitWidth: 2, scheme: .asymmetric, granularity: .channel)),
            peerArguments: [], scales: .kept),
    ]

    func run() throws -> String {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
        var rows: [Row] = []
        for item in Self.cases { rows.append(try run(item)) }
        let loadAfter = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
        return Self.markdown(
            rows, threads: threads, epochs: epochs,
            load: "\(load?.joined(separator: " ") ?? "?") before, \(loadAfter?.joined(separator: " ") ?? "?") after")
    }

    func run(_ item: Case) throws -> Row {
        log("finetune \(item.label)")
        let graph = try ONNXModel.load(contentsOf: try item.model.url)
        let evaluation = HeldOutEvaluation(
            heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(256))
        let floatTop1 = try evaluation.report(for: graph, plan: QuantPlan()).top1
        var options = FineTuner.Options()
        options.epochs = epochs
        options.chunkCount = threads
        options.scales = item.scales
        let start = Timing.nowMilliseconds(), cpuStart = Self.processCPUSeconds()
        let result = try FineTuner(graph: graph, plan: item.plan, file: item.model.commandLineName).run(
            training: try DemoData.trainingSet(), trainingFile: "training digits", evaluation: evaluation,
            options: options,
            epochEnded: { log(String(format: "  epoch %d: %.2f %%", $0.number, $0.report.top1 * 100)) })
        let wall = (Timing.nowMilliseconds() - start) / 1000
        let cpu = Self.processCPUSeconds() - cpuStart
        var row = Row(
            label: item.label, floatTop1: floatTop1, before: result.before.top1, after: result.report.top1,
            trainingSeconds: result.trainingSeconds, wallSeconds: wall, cpuSeconds: cpu)
        if withPeer && !item.peerArguments.isEmpty {
            let path = "Sources/QuantCore/Resources/Demo/\(item.model.fileName)"
            let json = try Self.capturePython(
                [
                    "Benchmarks/peers/finetune_peer.py", "--model", path, "--epochs", "\(epochs)", "--threads",
                    "\(threads)",
                ]
                    + item.peerArguments)
            guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any],
                let before = object["before_top1"] as? Double, let after = object["after_top1"] as? Double,
                let seconds = object["train_seconds"] as? Double, let cpu = object["train_cpu_seconds"] as? Double
            else { throw BenchError("finetune_peer.py printed no result") }
            row.peer = (before, after, seconds, cpu, object["peer"] as? String ?? "PyTorch")
        }
        return row
    }

    /// Runs `python3 ARGS` from the repository root and returns its standard output.
    static func capturePython(_ arguments: [String]) throws -> Data {
        log("python3 \(arguments.joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("python3 \(arguments.first ?? "") exited with status \(process.terminationStatus)")
        }
        // The last line is the JSON object (venv set-up may print before it).
        let lines = data.split(separator: UInt8(ascii: "\n"))
        return lines.last ?? Data()
    }

    /// CPU seconds of this process so far, all threads (`clock()`, whose unit POSIX fixes at 1 µs).
    static func processCPUSeconds() -> Double { Double(clock()) / 1_000_000 }

    static func markdown(_ rows: [Row], threads: Int, epochs: Int, load: String) -> String {
        func pct(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
        var lines = [
            "| case | float | before | after (ours) | Δ to float | train s (ours) | wall s, CPU s (ours, with evaluations) | after (PyTorch) | Δ to float | train s, CPU s (PyTorch) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows {
            let peerAfter = row.peer.map { pct($0.after) } ?? "–"
            let peerDelta = row.peer.map { String(format: "%+.1f pt", ($0.after - row.floatTop1) * 100) } ?? "–"
            let peerSeconds = row.peer.map { String(format: "%.1f, %.1f", $0.seconds, $0.cpuSeconds) } ?? "–"
            lines.append(
                "| \(row.label) | \(pct(row.floatTop1)) | \(pct(row.before)) | \(pct(row.after)) | "
                    + String(format: "%+.1f pt", (row.after - row.floatTop1) * 100)
                    + " | \(String(format: "%.1f", row.trainingSeconds)) | "
                    + String(format: "%.1f, %.1f", row.wallSeconds, row.cpuSeconds) + " | "
                    + "\(peerAfter) | \(peerDelta) | \(peerSeconds) |")
        }
        lines.append("")
        lines.append(
            "\(epochs) epochs over the 4000 training digits, batch 64, Adam 2e-3 cosine, T = 4, label weight 0.5; "
                + "held-out top-1 on the 1000 held-out digits; \(threads) threads; load average \(load). "
                + "Wall time includes the held-out evaluation before training and after each epoch.")
        return lines.joined(separator: "\n")
    }
}
