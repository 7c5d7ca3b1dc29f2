import Foundation
import QuantCore

/// Loads a model, data and an optional plan, evaluates, and summarizes the result.
enum EvalRun {
    /// Evaluates `model` (with `plan` applied, if any) on `data`; what `quantdash eval` prints.
    static func run(
        model: ModelChoice, data: DataChoice, planPath: String?, calibrationCount: Int, batchSize: Int
    ) throws -> EvalSummary {
        let graph = try model.load()
        let heldOut = try data.load()
        let calibration = try data.calibrationSet(count: calibrationCount)
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: calibration)
        workbench.batchSize = batchSize
        var plan = QuantPlan()
        if let planPath {
            plan = try QuantPlan.load(contentsOf: URL(fileURLWithPath: planPath))
            do {
                try plan.validated(against: workbench.layerNames)
            } catch let error as PlanError {
                throw error.inFile(planPath)
            }
        }
        let quantized = try workbench.apply(plan)
        let floatReport = try workbench.floatReport()
        let report = try workbench.evaluate(quantized)
        return EvalSummary(
            model: .init(name: model.name, path: model.url.path, parameters: graph.parameterCount),
            data: .init(
                name: data.name, count: workbench.heldOut.count, classes: workbench.heldOut.classCount,
                calibrationCount: workbench.calibration?.count),
            plan: planPath,
            accuracy: .init(report),
            floatAccuracy: planPath == nil ? nil : .init(floatReport),
            size: .init(
                floatBytes: quantized.size.floatBytes, bytes: quantized.size.currentBytes,
                compressionRatio: quantized.size.compressionRatio),
            layers: quantized.layerReports.map { EvalSummary.LayerRow($0, activationBits: $0.settings.activationBits) })
    }
}
