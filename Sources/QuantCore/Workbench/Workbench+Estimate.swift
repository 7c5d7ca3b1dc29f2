import Foundation

extension Workbench {
    /// A quick estimate of `model` on `sampleSize` held-out samples that sharpens as it runs.
    ///
    /// The samples are spread evenly over the held-out set (every class of a class-sorted set)
    /// and ordered so that each batch of `batchSize` is itself spread evenly: batch `j` holds
    /// the evenly spaced samples `j, j + m, j + 2m, …` for `m` batches. Any run of first batches
    /// is therefore an evenly spread sample too, and `onPartial` gets a report (with its 95 %
    /// interval, never exact) each time the run of finished first batches grows: the first one
    /// after a single small batch, long before the whole estimate is in.
    ///
    /// - Returns: the estimate on all `sampleSize` samples (never exact: its predictions are in
    ///   the estimate's order; use `evaluate` for the whole set).
    /// - Throws: `CancellationError`; `GraphError` from a run.
    public func progressiveEstimate(
        _ model: QuantizedModel, sampleSize: Int, batchSize: Int, onPartial: ((EvalReport) -> Void)? = nil,
        isCancelled: () -> Bool = { false }
    ) throws -> EvalReport {
        let reference = try floatReport(isCancelled: isCancelled)
        let spaced = Workbench.evenlySpacedIndices(count: sampleSize, of: heldOut.count)
        let size = max(1, batchSize)
        let batchCount = (spaced.count + size - 1) / size
        var order: [Int] = []
        order.reserveCapacity(spaced.count)
        for batch in 0..<batchCount {
            order += stride(from: batch, to: spaced.count, by: batchCount).map { spaced[$0] }
        }
        let dataset = heldOut.picking(order, name: "\(heldOut.name) (\(order.count) spread for an estimate)")
        let references = order.map { reference.predictions[$0] }
        let evaluator = Evaluator(batchSize: size)
        var finished: [Evaluator.BatchMetrics?] = Array(repeating: nil, count: batchCount)
        var prefix = 0
        let batches = try batchMetrics(
            of: dataset, model: model, usesActivationCache: false, batchSize: size, fidelityIndices: order,
            progress: nil,
            onBatch: { index, metrics in
                finished[index] = metrics
                let before = prefix
                while prefix < batchCount, finished[prefix] != nil { prefix += 1 }
                guard prefix > before, prefix < batchCount, let onPartial else { return }
                let count = finished[prefix - 1]!.range.upperBound
                if var report = try? evaluator.evaluate(
                    dataset.subset(0..<count), reference: Array(references[0..<count]),
                    batches: finished[0..<prefix].compactMap { $0 })
                {
                    report.isExact = false
                    onPartial(report)
                }
            }, isCancelled: isCancelled)
        var report = try evaluator.evaluate(dataset, reference: references, batches: batches)
        report.isExact = false  // samples in estimate order, not the set's
        return report
    }
}
