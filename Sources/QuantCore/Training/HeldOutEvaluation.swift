/// Scores a model under a plan on the held-out set exactly as `quantdash eval --model … --plan …`
/// does: a fresh `Workbench` over the model, the held-out set and the calibration set, with the
/// same batch size and no activation cache; learned roundings learned first; then the engine's
/// exact evaluation (`Engine.evaluate`). So the figure a fine-tune prints for the model it writes
/// is the figure `eval` prints for that file.
public struct HeldOutEvaluation: Sendable {
    /// The held-out set (never trained on).
    public var heldOut: Dataset
    /// Activation calibration images, as `eval` chooses them (the demo's training split for `demo`).
    public var calibration: Dataset?
    /// Evaluation batch size; nil for `eval`'s default (`Workbench.recommendedBatchSize`, at most 250).
    public var batchSize: Int?

    /// Scores on `heldOut`, calibrating on `calibration`.
    public init(heldOut: Dataset, calibration: Dataset?, batchSize: Int? = nil) {
        self.heldOut = heldOut
        self.calibration = calibration
        self.batchSize = batchSize
    }

    /// `graph` with `plan` applied, evaluated on the held-out set.
    ///
    /// - Parameter isCancelled: checked before starting, while learning roundings, and after
    ///   every evaluated batch (float and quantized): cancelling stops the evaluation there.
    /// - Throws: `PlanError`, `QuantizationError`, `GraphError`, `EvaluationError` as `eval` would;
    ///   `CancellationError` when cancelled.
    public func report(for graph: Graph, plan: QuantPlan, isCancelled: () -> Bool = { false }) throws -> EvalReport {
        if isCancelled() { throw CancellationError() }
        let workbench = try Workbench(graph: graph, heldOut: heldOut, calibration: calibration)
        workbench.batchSize =
            batchSize ?? Workbench.recommendedBatchSize(sampleElementCount: heldOut.sampleElementCount, limit: 250)
        workbench.activationCacheBytes = 0
        try workbench.learnRoundings(for: plan, isCancelled: isCancelled)
        _ = try workbench.apply(plan)
        let engine = Engine(workbench: workbench, estimateSize: 0, collectsEvents: false)
        defer { engine.shutDown() }
        // The engine checks its own shutdown between batches: the progress calls (on this
        // thread) shut it down when the caller cancels.
        return try withoutActuallyEscaping(isCancelled) { isCancelled in
            let watch: (EngineProgress) -> Void = { _ in if isCancelled() { engine.shutDown() } }
            _ = try engine.floatReport(progress: watch)
            if isCancelled() { throw CancellationError() }
            return try engine.evaluate(plan, progress: watch).report
        }
    }
}
