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
            of: dataset, model: model, usesActivationCache: isWholeSet, fidelityIndices: indices,
            keepsRows: measuresNeighbours(count: indices.count) ? .withinReferenceBudget : .never,
            progress: progress, isCancelled: isCancelled)
        var report = try Evaluator(batchSize: batchSize).evaluate(
            dataset, reference: indices.map { reference.predictions[$0] }, batches: batches)
        report = addingNeighbours(to: report, batches: batches, indices: indices)
        report.isExact = isWholeSet
        if var nonFinite = report.nonFinite {
            nonFinite.firstSample = indices[nonFinite.firstSample]
            nonFinite.firstNode = firstNonFiniteNode(sample: nonFinite.firstSample, model: model)
            report.nonFinite = nonFinite
        }
        return report
    }

    /// The float model on the whole held-out set (computed once; it also fills the activation
    /// cache with the float model's boundaries).
    ///
    /// - Parameter progress: fraction of samples done, after each batch (not called when cached).
    public func floatReport(
        progress: ((Double) -> Void)? = nil, isCancelled: () -> Bool = { false }
    ) throws -> EvalReport {
        if let cached = lock.withLock({ floatEvaluation }) { return cached }
        let batches = try batchMetrics(
            of: heldOut, model: nil, usesActivationCache: true, keepsRows: .withinReferenceBudget, progress: progress,
            isCancelled: isCancelled)
        var report = try Evaluator(batchSize: batchSize).evaluate(heldOut, batches: batches)
        if let sample = report.nonFinite?.firstSample {
            report.nonFinite?.firstNode = firstNonFiniteNode(sample: sample, model: nil)
        }
        // Kept only when every batch's outputs were (they all fit the budget together).
        let outputs: [Float]? = batches.allSatisfy { $0.rows != nil } ? batches.flatMap { $0.rows ?? [] } : nil
        // The float model's own outputs are the reference: they agree with themselves exactly.
        report.fidelity = .identical(
            neighbours: outputs != nil && measuresNeighbours(count: heldOut.count),
            classes: outputsAreClasses(in: heldOut))
        lock.withLock {
            floatEvaluation = report
            floatOutputs = outputs
        }
        return report
    }

    /// The first node, in graph order, with a NaN or infinite output when held-out sample `sample`
    /// runs through the model: `name (Op)`, `"the input"` when the sample itself is not finite,
    /// `nil` when the run fails or every value is finite. Keeps every value of one sample.
    public func firstNonFiniteNode(sample: Int, model: QuantizedModel?) -> String? {
        guard heldOut.count > 0 else { return nil }
        let index = min(max(sample, 0), heldOut.count - 1)
        guard let inputs = try? heldOut.inputs(in: index..<(index + 1), main: inputName) else { return nil }
        if inputs.values.contains(where: { $0.storage.contains(where: { !$0.isFinite }) }) { return "the input" }
        let produced = Set(graph.nodes.flatMap(\.outputs).filter { !$0.isEmpty })
        guard
            let values = try? executor.run(
                inputs, weightOverrides: model?.weightOverrides ?? [:],
                activationQuantization: model?.activationQuantization ?? [:], keeping: produced)
        else { return nil }
        for (index, node) in graph.nodes.enumerated() {
            let bad = node.outputs.contains { values[$0]?.storage.contains(where: { !$0.isFinite }) ?? false }
            if bad { return "\(node.name.isEmpty ? "#\(index)" : node.name) (\(node.op.onnxName))" }
        }
        return nil
    }

    /// Indices `⌊i · total / count⌋` for `i < count` (all indices when `count ≥ total`), the same
    /// samples `Dataset.evenlySpaced` picks.
    static func evenlySpacedIndices(count: Int, of total: Int) -> [Int] {
        guard count < total else { return Array(0..<total) }
        return (0..<max(count, 0)).map { $0 * total / count }
    }
}
