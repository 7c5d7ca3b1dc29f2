import Foundation
import QuantCore

/// What `quantdash search` prints: the plan found, its figures on the validation samples it was
/// tuned on and on the held-out set (whole, and the unseen half), and what the search cost.
struct SearchSummary: Encodable {
    /// One set of figures.
    struct Figures: Encodable {
        var samples: Int
        var top1: Double
        var floatTop1: Double
        var deltaPoints: Double
        var interval95Points: [Double]
        var agreement: Double
    }

    var goal: String
    var tunedOn: String
    var plan: QuantPlan
    var planPath: String
    var bytes: Int
    var floatBytes: Int
    var compressionRatio: Double
    /// The precision loss `δ = 1 − b/32`, `b` the mean stored bits per weight value.
    var precisionLoss: Double
    /// `precisionLoss` as `"δ = 1 − 4/32 = 87.5 %"`.
    var precisionLossLabel: String
    var layers: [String: String]
    var validation: Figures
    var heldOut: Figures
    var unseenHalf: Figures?
    var evaluations: Int
    var hullPlans: Int
    var seconds: Double

    static func make(
        setup: TuningSetup, table: SensitivityTable, best: SearchCandidate, result: SearchResult, goal: SearchGoal,
        seconds: Double, out: String
    ) throws -> SearchSummary {
        func figures(_ workbench: Workbench) throws -> (Figures, EvalReport, QuantizedModel) {
            let float = try workbench.floatReport()
            let model = try workbench.apply(best.plan)
            let report = try workbench.evaluate(model)
            let labels = workbench.heldOut.labels
            let difference = PairedDifference(
                baseline: zip(float.predictions, labels).map { $0 == $1 },
                candidate: zip(report.predictions, labels).map { $0 == $1 })
            let figures = Figures(
                samples: report.count, top1: report.top1, floatTop1: float.top1, deltaPoints: difference.delta * 100,
                interval95Points: [difference.interval.lowerBound * 100, difference.interval.upperBound * 100],
                agreement: report.agreement ?? 1)
            return (figures, report, model)
        }
        let (heldOut, report, model) = try figures(setup.heldOut)
        let validation = try figures(setup.tuning.workbench).0
        let unseen = try setup.unseen.map { try figures($0).0 }
        var plan = best.plan
        plan.provenance = PlanProvenance(
            exportedAt: Date(), model: setup.modelReference, data: setup.dataReference,
            calibrationCount: setup.heldOut.calibration?.count, results: PlanResults(evaluation: report, model: model))
        let goalText: String =
            switch goal {
            case .maxDrop(let points): "smallest plan within \(points) points of float"
            case .targetBytes(let bytes): "most accurate plan of at most \(bytes) bytes"
            }
        var layers: [String: String] = [:]
        for (name, option) in zip(search(table), best.choices) { layers[name] = "\(option)" }
        return SearchSummary(
            goal: goalText, tunedOn: setup.samplesNote, plan: plan, planPath: out, bytes: model.size.currentBytes,
            floatBytes: model.size.floatBytes, compressionRatio: model.size.compressionRatio,
            precisionLoss: model.size.precisionLoss, precisionLossLabel: model.size.precisionLossLabel, layers: layers,
            validation: validation, heldOut: heldOut, unseenHalf: unseen, evaluations: result.evaluations,
            hullPlans: result.hullSize, seconds: seconds)
    }

    private static func search(_ table: SensitivityTable) -> [String] { table.layers.map(\.name) }

    func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        func line(_ label: String, _ figures: Figures) -> String {
            String(
                format: "%@ %.2f %% on %d samples (float %.2f %%, Δ %+.2f pt, 95 %% %+.2f…%+.2f, agrees %.1f %%)",
                label, figures.top1 * 100, figures.samples, figures.floatTop1 * 100, figures.deltaPoints,
                figures.interval95Points[0], figures.interval95Points[1], figures.agreement * 100)
        }
        var lines = [
            "\(goal), tuned on \(tunedOn)",
            "plan: \(Formatting.bytes(bytes)) (float \(Formatting.bytes(floatBytes)), "
                + String(format: "%.2f", compressionRatio) + "× smaller, precision loss \(precisionLossLabel)), "
                + "written to \(planPath)",
        ]
        for (name, option) in layers.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(Printable.name(name)): \(option)")
        }
        lines.append(line("validation top-1", validation))
        lines.append(line("held-out top-1  ", heldOut))
        if let unseenHalf { lines.append(line("unseen half     ", unseenHalf)) }
        lines.append(
            String(format: "%d exact evaluations, %d proposals on the hull, %.1f s", evaluations, hullPlans, seconds))
        return lines.joined(separator: "\n")
    }
}
