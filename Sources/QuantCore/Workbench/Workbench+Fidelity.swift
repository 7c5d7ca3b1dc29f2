import Foundation

/// Fidelity to the float model, measured on every evaluation (`Fidelity`): each batch's outputs
/// are compared with the float model's outputs on the same samples, read from `floatOutputs`
/// when the float pass kept them (small outputs) or recomputed for that batch (large ones), so
/// no more than one batch of outputs per worker is held beyond that bounded reference.
extension Workbench {
    /// A batch's output read as `[B, classes]` logits (`Graph.classifierLogits`); for data
    /// without labels any output shape `[B, ...]` is flattened to `[B, values]`.
    func metricsLogits(_ raw: Tensor, in dataset: Dataset) -> Tensor {
        let logits = graph.classifierLogits(raw)
        guard !dataset.hasLabels, logits.rank != 2, let rows = logits.shape.first, rows > 0 else { return logits }
        return logits.reshaped([rows, logits.count / rows])
    }

    /// Whether `dataset`'s outputs are classes, so a KL between class distributions means
    /// something: the data has labels, or the graph's output looks like classes
    /// (`Graph.outputLooksLikeClasses`: a Softmax, LogSoftmax or Gemm end). Embeddings and
    /// other vectors get no KL; cosine, relative MSE and neighbours describe them.
    func outputsAreClasses(in dataset: Dataset) -> Bool {
        dataset.hasLabels || graph.outputLooksLikeClasses
    }

    /// Whether the float pass keeps its outputs as the reference: `perSample` values for each
    /// of the held-out samples fit in `fidelityReferenceBytes`.
    func keepsFloatOutputs(perSample: Int) -> Bool {
        let (total, overflow) = perSample.multipliedReportingOverflow(by: heldOut.count * MemoryLayout<Float>.stride)
        return !overflow && total <= fidelityReferenceBytes
    }

    /// Whether nearest-neighbour agreement is measured on `count` samples: outputs that are
    /// not classes (data without labels), at most `FidelitySums.maximumNeighbourSamples`.
    func measuresNeighbours(count: Int) -> Bool {
        !heldOut.hasLabels && count >= 3 && count <= FidelitySums.maximumNeighbourSamples
    }

    /// The float model's raw output on held-out samples `indices`, shaped like `output`: read
    /// from `stored` when kept, else computed by a float run on `inputs()`.
    func floatReference(
        indices: ArraySlice<Int>, stored: [Float]?, like output: Tensor, inputs: () throws -> [String: Tensor],
        isCancelled: (() -> Bool)?
    ) throws -> Tensor {
        let perSample = indices.isEmpty ? 0 : output.count / indices.count
        if let stored, stored.count == heldOut.count * perSample {
            var values: [Float] = []
            values.reserveCapacity(output.count)
            for index in indices { values += stored[(index * perSample)..<((index + 1) * perSample)] }
            return Tensor(shape: output.shape, storage: values)
        }
        let outputs = try executor.run(try inputs(), keeping: [], isCancelled: isCancelled)
        guard let reference = outputs[outputName] else { throw GraphError.missingOutput(outputName) }
        guard reference.count == output.count else {
            throw EvaluationError.logitsShape(
                dataset: heldOut.name, batch: 0..<indices.count, expected: "the float output's shape",
                got: reference.shape)
        }
        return reference.reshaped(output.shape)
    }

    /// The report's fidelity with nearest-neighbour agreement added, when measured: `batches`
    /// kept their rows, and `indices` are the held-out samples they hold, in order.
    func addingNeighbours(to report: EvalReport, batches: [Evaluator.BatchMetrics], indices: [Int]) -> EvalReport {
        guard measuresNeighbours(count: indices.count), report.fidelity != nil,
            let stored = lock.withLock({ floatOutputs }), heldOut.count > 0
        else { return report }
        let perSample = stored.count / heldOut.count
        var output: [Float] = []
        output.reserveCapacity(indices.count * perSample)
        for batch in batches {
            guard let rows = batch.rows else { return report }
            output += rows
        }
        guard output.count == indices.count * perSample else { return report }
        var reference: [Float] = []
        reference.reserveCapacity(output.count)
        for index in indices { reference += stored[(index * perSample)..<((index + 1) * perSample)] }
        var result = report
        result.fidelity?.neighbours = FidelitySums.neighbourAgreement(
            reference: reference, output: output, count: indices.count, width: perSample)
        return result
    }
}
