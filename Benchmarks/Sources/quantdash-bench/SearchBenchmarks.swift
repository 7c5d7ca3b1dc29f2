import Foundation
import QuantCore

/// Issue 14, point 7: on the demo MLP and CNN, `search --max-drop 1` against the optimum an
/// exhaustive search over the same per-layer menu finds, with the time of each, and uniform
/// 8-bit and 4-bit plans for comparison. Everything is tuned on the validation split `quantdash
/// search` uses (the even-numbered held-out digits) and reported on the whole held-out set too.
struct SearchBenchmarks {
    /// Worker threads.
    var threads: Int
    /// The accuracy budget in points.
    var maxDrop = 1.0

    /// One model's results.
    struct Row {
        var model: String
        var layers: Int
        var combinations: Int
        var searchBytes: Int
        var optimumBytes: Int
        var searchSeconds: Double
        var sensitivitySeconds: Double
        var searchEvaluations: Int
        var exhaustiveSeconds: Double
        var exhaustiveEvaluations: Int
        var searchValidationDrop: Double
        var optimumValidationDrop: Double
        var searchHeldOutDrop: Double
        var floatBytes: Int
        var uniform: [(label: String, bytes: Int, validationDrop: Double, heldOutDrop: Double)]
    }

    func run() throws -> [Row] {
        try BundledModel.allCases.map { try run($0) }
    }

    func run(_ bundled: BundledModel) throws -> Row {
        log("search \(bundled.commandLineName)")
        let graph = try ONNXModel.load(contentsOf: try bundled.url)
        let heldOut = try DemoData.heldOutSet()
        let calibration = try DemoData.trainingSet().evenlySpaced(256)
        let validationSet = heldOut.picking(Array(stride(from: 0, to: heldOut.count, by: 2)), name: heldOut.name)
        func workbench(_ data: Dataset) throws -> Workbench {
            let workbench = try Workbench(graph: graph, heldOut: data, calibration: calibration)
            workbench.threadCount = threads
            workbench.batchSize = 250
            return workbench
        }
        let modelSHA = try FileReference.bundled(bundled).sha256
        let dataSHA = try FileReference.demoHeldOut().sha256 + "-even"
        let full = try workbench(heldOut)
        let fullFloat = try full.floatReport()

        // The search as `quantdash search --max-drop 1` runs it: sensitivity, proposals, refinement.
        let start = Timing.nowMilliseconds()
        let tuning = Sensitivity(workbench: try workbench(validationSet), modelSHA256: modelSHA, dataSHA256: dataSHA)
        let table = try tuning.run(menu: TuningMenu.search.options, plan: QuantPlan())
        let sensitivitySeconds = (Timing.nowMilliseconds() - start) / 1000
        let search = try PlanSearch(sensitivity: tuning, table: table)
        let found = try search.run(.maxDrop(points: maxDrop))
        let searchSeconds = (Timing.nowMilliseconds() - start) / 1000
        guard let best = found.best else { throw BenchFailure("search found no plan for \(bundled.commandLineName)") }

        // The optimum: every combination, on a fresh evaluator (nothing cached from the search).
        let exhaustiveStart = Timing.nowMilliseconds()
        let fresh = Sensitivity(workbench: try workbench(validationSet), modelSHA256: modelSHA, dataSHA256: dataSHA)
        let optimumSearch = try PlanSearch(sensitivity: fresh, table: table)
        let optimum = try optimumSearch.exhaustive(.maxDrop(points: maxDrop))
        let exhaustiveSeconds = (Timing.nowMilliseconds() - exhaustiveStart) / 1000
        guard let optimal = optimum.best else { throw BenchFailure("no optimum for \(bundled.commandLineName)") }

        func heldOutDrop(_ plan: QuantPlan) throws -> Double {
            let report = try full.evaluate(full.apply(plan))
            return (fullFloat.top1 - report.top1) * 100
        }
        func validationDrop(_ evaluation: PlanEvaluation) -> Double {
            Double(table.float.correctCount - evaluation.correctCount) / Double(table.sampleCount) * 100
        }
        var uniform: [(String, Int, Double, Double)] = []
        for bits in [8, 4] {
            let plan = QuantPlan(defaults: LayerSettings(bitWidth: bits))
            let evaluation = try tuning.evaluate(plan)
            uniform.append(("uniform \(bits)-bit", evaluation.bytes, validationDrop(evaluation), try heldOutDrop(plan)))
        }
        return Row(
            model: bundled.commandLineName, layers: search.layers.count,
            combinations: search.options.reduce(1) { $0 * $1.count }, searchBytes: best.evaluation.bytes,
            optimumBytes: optimal.evaluation.bytes, searchSeconds: searchSeconds,
            sensitivitySeconds: sensitivitySeconds,
            searchEvaluations: found.evaluations, exhaustiveSeconds: exhaustiveSeconds,
            exhaustiveEvaluations: optimum.evaluations, searchValidationDrop: validationDrop(best.evaluation),
            optimumValidationDrop: validationDrop(optimal.evaluation), searchHeldOutDrop: try heldOutDrop(best.plan),
            floatBytes: table.float.bytes, uniform: uniform)
    }

    /// The section of BENCHMARKS.md.
    static func markdown(_ rows: [SearchBenchmarks.Row], maxDrop: Double) -> String {
        var lines = [
            "| model | layers × options | search (max drop \(maxDrop) pt) | exhaustive optimum | search / optimum | "
                + "search time (of it sensitivity) | exhaustive time | uniform 8-bit | uniform 4-bit |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        func size(_ bytes: Int, _ floatBytes: Int) -> String {
            "\(Formatting.bytes(bytes)) (\(String(format: "%.1f", Double(floatBytes) / Double(bytes)))×)"
        }
        func drops(_ validation: Double, _ heldOut: Double?) -> String {
            let held = heldOut.map { String(format: ", held-out Δ %+.1f", -$0) } ?? ""
            return String(format: "validation Δ %+.1f pt", -validation) + held
        }
        for row in rows {
            let ratio = Double(row.searchBytes) / Double(row.optimumBytes)
            let uniformCells = row.uniform.map {
                "\(size($0.bytes, row.floatBytes)), \(drops($0.validationDrop, $0.heldOutDrop))"
            }
            lines.append(
                "| \(row.model) | \(row.layers) × \(row.combinations) plans | "
                    + "\(size(row.searchBytes, row.floatBytes)), \(drops(row.searchValidationDrop, row.searchHeldOutDrop)) | "
                    + "\(size(row.optimumBytes, row.floatBytes)), \(drops(row.optimumValidationDrop, nil)) | "
                    + String(format: "%.3f", ratio) + " | "
                    + String(
                        format: "%.2f s (%.2f s), %d evaluations", row.searchSeconds, row.sensitivitySeconds,
                        row.searchEvaluations)
                    + " | " + String(format: "%.1f s, %d evaluations", row.exhaustiveSeconds, row.exhaustiveEvaluations)
                    + " | " + uniformCells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

/// A benchmark that cannot produce its figure.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
