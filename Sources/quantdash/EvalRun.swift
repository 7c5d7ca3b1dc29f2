import Foundation
import QuantCore

/// Loads a model, data and an optional plan, evaluates, and summarizes the result.
enum EvalRun {
    /// Training images used for activation calibration unless `--calibration-count` says otherwise.
    static let defaultCalibrationCount = 256

    /// A loaded model with its data, ready for plans.
    struct Inputs {
        /// The float model.
        var graph: Graph
        /// The workbench over the model and data.
        var workbench: Workbench
    }

    /// Loads the model and data and prepares a workbench.
    static func prepare(
        model: ModelChoice, data: DataChoice, calibrationCount: Int, batchSize: Int?, cacheBudget: Int = 0
    ) throws -> Inputs {
        let graph = try model.load()
        let heldOut = try data.load(for: graph)
        let calibration = try data.feeding(graph).calibrationSet(count: calibrationCount)
        let workbench = try data.workbench(of: graph, heldOut: heldOut, calibration: calibration, model: model)
        workbench.batchSize =
            batchSize ?? Workbench.recommendedBatchSize(sampleElementCount: heldOut.sampleElementCount, limit: 250)
        workbench.activationCacheBytes = cacheBudget
        return Inputs(graph: graph, workbench: workbench)
    }

    /// Reads the plan at `planPath` and checks it against the model's layers; errors name the file.
    static func loadPlan(planPath: String, layerNames: [String]) throws -> QuantPlan {
        let plan = try QuantPlan.load(contentsOf: URL(fileURLWithPath: planPath))
        do {
            try plan.validated(against: layerNames)
        } catch let error as PlanError {
            throw error.inFile(planPath)
        }
        return plan
    }

    /// Evaluates `model` (with `plan` applied, if any) on `data`; what `quantdash eval` prints.
    ///
    /// Runs through the engine (`Engine.evaluate`), the same path as the dashboard's results;
    /// progress goes to stderr once the work takes more than a second. A single evaluation
    /// needs no activation cache, so none is kept unless `cacheBudget` asks for one: memory
    /// then does not grow with the number of held-out images.
    static func run(
        model: ModelChoice, data: DataChoice, planPath: String?, calibrationCount: Int, batchSize: Int?,
        cacheBudget: Int = 0, biasCorrection: Bool = false, equalize: Bool = false, learnedRounding: Bool = false,
        integer: Bool = false, requantization: Requantization = .float, latencyRuns: Int = LatencyProfile.defaultRuns
    ) throws -> EvalSummary {
        let inputs = try prepare(
            model: model, data: data, calibrationCount: calibrationCount, batchSize: batchSize,
            cacheBudget: cacheBudget)
        let graph = inputs.graph
        let workbench = inputs.workbench
        var plan = QuantPlan()
        if let planPath {
            plan = try loadPlan(planPath: planPath, layerNames: workbench.layerNames)
        }
        if equalize { plan = workbench.withEqualization(plan) }
        if learnedRounding { plan = workbench.withLearnedRounding(plan) }
        if biasCorrection { plan = workbench.withBiasCorrection(plan) }
        // What the graph and plan alone rule out is refused before any calibration or float pass.
        if integer, let reason = workbench.integerRefusal(for: plan) {
            throw IntegerLoweringError("--integer: \(planPath ?? "the plan"): \(reason)")
        }
        do {
            try learnRoundings(for: plan, workbench: workbench)
            _ = try workbench.apply(plan)  // cached: the engine's apply below reuses every layer report
        } catch let error as PlanError {
            throw planPath.map { error.inFile($0) } ?? error
        }
        // Lowered before evaluating, so a plan with no int8 form is refused at once.
        var lowered: (QuantizedModel, IntegerModel)? = nil
        if integer {
            do {
                lowered = try workbench.integerModel(for: plan, requantization: requantization)
            } catch let error as IntegerLoweringError {
                throw IntegerLoweringError("--integer: \(planPath ?? "the plan"): \(error.description)")
            }
        }
        let engine = Engine(workbench: workbench, estimateSize: 0, collectsEvents: false)
        let printer = ProgressPrinter()
        defer { printer.finish() }
        let floatReport = try engine.floatReport(progress: printer.report)
        printer.finish()
        let (quantized, report) = try engine.evaluate(plan, progress: printer.report)
        var integerSection: EvalSummary.IntegerSection? = nil
        var latencySection: EvalSummary.LatencySection? = nil
        if let lowered {
            let (applied, integerModel) = lowered
            integerSection = .init(try workbench.evaluateInteger(integerModel, quantized: applied))
            if latencyRuns > 0 {
                latencySection = .init(try workbench.latencyProfile(of: integerModel, runs: latencyRuns))
            }
        }
        var summary = EvalSummary(
            model: .init(name: model.name, path: model.url.path, parameters: graph.parameterCount),
            data: .init(
                name: data.name, count: workbench.heldOut.count, classes: workbench.heldOut.classCount,
                labeled: workbench.heldOut.hasLabels, calibrationCount: workbench.calibration?.count),
            note: workbench.ioNote,
            plan: planPath,
            warnings: planPath == nil || !report.hasLabels
                ? nil
                : EvalSummary.entropyWarning(
                    entropyLayers: quantized.layerReports.filter {
                        $0.settings.activationBits != nil && $0.settings.calibration == .entropy
                    }.map(\.layer.name),
                    drop: (floatReport.top1 - report.top1) * 100
                ).map { [$0] },
            accuracy: report.hasLabels ? .init(report) : nil,
            floatAccuracy: planPath == nil || !report.hasLabels ? nil : .init(floatReport),
            fidelity: report.fidelity,
            size: .init(
                floatBytes: quantized.size.floatBytes, bytes: quantized.size.currentBytes,
                compressionRatio: quantized.size.compressionRatio, meanValueBits: quantized.size.meanValueBitWidth,
                precisionLoss: quantized.size.precisionLoss),
            layers: quantized.layerReports.map { EvalSummary.LayerRow($0, activationBits: $0.settings.activationBits) })
        summary.integer = integerSection
        summary.latency = latencySection
        return summary
    }

    /// Learns the roundings `plan` asks for (seconds per layer), progress on stderr.
    static func learnRoundings(for plan: QuantPlan, workbench: Workbench) throws {
        guard workbench.needsLearnedRounding(for: plan) else { return }
        let printer = ProgressPrinter()
        defer { printer.finish() }
        let start = Engine.now()
        try workbench.learnRoundings(
            for: plan,
            steps: { done, total in
                printer.report(
                    EngineProgress(
                        phase: .learningRounding, done: done, total: total, elapsedSeconds: Engine.now() - start))
            })
    }
}
