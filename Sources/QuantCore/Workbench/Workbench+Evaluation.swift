import Foundation

extension Workbench {
    /// Runs the model (float, or with `model`'s quantization) on a batch `[B, ...]` and returns logits.
    public func logits(for batch: Tensor, model: QuantizedModel? = nil) throws -> Tensor {
        let outputs = try executor.run(
            [inputName: batch], weightOverrides: model?.weightOverrides ?? [:],
            activationQuantization: model?.activationQuantization ?? [:])
        guard let logits = outputs[outputName] else { throw GraphError.missingOutput(outputName) }
        return logits
    }

    /// The float model on the whole held-out set (computed once).
    public func floatReport() throws -> EvalReport {
        if let cached = lock.withLock({ floatEvaluation }) { return cached }
        let report = try Evaluator(batchSize: batchSize).evaluate(heldOut) { try logits(for: $0) }
        lock.withLock { floatEvaluation = report }
        return report
    }

    /// Evaluates `model` on the held-out set (or the first `limit` samples of it as an estimate),
    /// with agreement measured against the float model's predictions.
    ///
    /// - Parameters:
    ///   - progress: fraction done after each batch.
    ///   - isCancelled: checked before each batch; a newer plan cancels a stale evaluation.
    /// - Throws: `CancellationError` when cancelled; `GraphError` when a run fails.
    public func evaluate(
        _ model: QuantizedModel, limit: Int? = nil, progress: ((Double) -> Void)? = nil,
        isCancelled: () -> Bool = { false }
    ) throws -> EvalReport {
        let reference = try floatReport()
        let dataset = limit.map { heldOut.first($0) } ?? heldOut
        if model.isFloat && dataset.isComplete {
            progress?(1)
            var report = reference
            report.agreement = 1
            return report
        }
        return try Evaluator(batchSize: batchSize).evaluate(
            dataset, reference: Array(reference.predictions[dataset.sourceRange]), progress: progress,
            isCancelled: isCancelled
        ) { try logits(for: $0, model: model) }
    }
}
