import Foundation

extension Workbench {
    /// Runs the model (float, or with `model`'s quantization) on a batch `[B, ...]` and returns logits
    /// `[B, classes]` (see `Graph.classifierLogits`).
    public func logits(for batch: Tensor, model: QuantizedModel? = nil) throws -> Tensor {
        let outputs = try executor.run(
            [inputName: batch], weightOverrides: model?.weightOverrides ?? [:],
            activationQuantization: model?.activationQuantization ?? [:])
        guard let logits = outputs[outputName] else { throw GraphError.missingOutput(outputName) }
        return executor.graph.classifierLogits(logits)
    }

    /// Evaluates `model` on the held-out set, or on `sampleSize` samples spread evenly over it
    /// (every class of a class-sorted set) as a quick estimate, with agreement measured against
    /// the float model's predictions on the same samples.
    ///
    /// - Parameters:
    ///   - sampleSize: evaluate an evenly spaced subset of this many samples; the report's
    ///     `isExact` is false unless that is the whole set.
    ///   - progress: fraction done after each batch.
    ///   - isCancelled: checked before each batch; a newer plan cancels a stale evaluation.
    /// - Throws: `CancellationError` when cancelled; `GraphError` when a run fails.
    public func evaluate(
        _ model: QuantizedModel, sampleSize: Int? = nil, progress: ((Double) -> Void)? = nil,
        isCancelled: () -> Bool = { false }
    ) throws -> EvalReport {
        let reference = try floatReport(isCancelled: isCancelled)
        let indices = Workbench.evenlySpacedIndices(count: sampleSize ?? heldOut.count, of: heldOut.count)
        let isWholeSet = indices.count == heldOut.count
        if model.isFloat && isWholeSet {
            progress?(1)
            var report = reference
            report.agreement = 1
            return report
        }
        let dataset = isWholeSet ? heldOut : try heldOut.evenlySpaced(indices.count)
        let batches = try batchMetrics(
            of: dataset, model: model, usesActivationCache: isWholeSet, progress: progress, isCancelled: isCancelled)
        var report = try Evaluator(batchSize: batchSize).evaluate(
            dataset, reference: indices.map { reference.predictions[$0] }, batches: batches)
        report.isExact = isWholeSet
        return report
    }

    /// The float model on the whole held-out set (computed once; it also fills the activation
    /// cache with the float model's boundaries).
    public func floatReport(isCancelled: () -> Bool = { false }) throws -> EvalReport {
        if let cached = lock.withLock({ floatEvaluation }) { return cached }
        let batches = try batchMetrics(
            of: heldOut, model: nil, usesActivationCache: true, progress: nil, isCancelled: isCancelled)
        let report = try Evaluator(batchSize: batchSize).evaluate(heldOut, batches: batches)
        lock.withLock { floatEvaluation = report }
        return report
    }

    /// Indices `⌊i · total / count⌋` for `i < count` (all indices when `count ≥ total`), the same
    /// samples `Dataset.evenlySpaced` picks.
    static func evenlySpacedIndices(count: Int, of total: Int) -> [Int] {
        guard count < total else { return Array(0..<total) }
        return (0..<max(count, 0)).map { $0 * total / count }
    }
}
