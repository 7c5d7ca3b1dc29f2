/// A data set's other model inputs: arrays fed by name next to the samples (a transformer's
/// `attention_mask` next to its `input_ids`), each `[N, ...]` in memory and cut with the samples.
extension Dataset {
    /// Sets the other inputs, each with one row per sample.
    ///
    /// - Throws: `EvaluationError.countMismatch` naming the input whose row count differs.
    public mutating func setExtraInputs(_ inputs: [String: Tensor]) throws {
        for (name, tensor) in inputs.sorted(by: { $0.key < $1.key }) where tensor.rank < 1 || tensor.shape[0] != count {
            throw EvaluationError.countMismatch(
                dataset: "\(self.name) (\(name))", images: tensor.rank < 1 ? 0 : tensor.shape[0], labels: count)
        }
        extraInputs = inputs
    }

    /// Every model input for samples `range`: the samples as `main`, plus the other inputs.
    ///
    /// - Throws: `ModelIOError` when a streamed file can no longer be read.
    public func inputs(in range: Range<Int>, main: String) throws -> [String: Tensor] {
        var values = extraInputs.mapValues { $0.slice(rows: range) }
        values[main] = try images(in: range)
        return values
    }

    /// The other inputs' rows at `indices`, in that order.
    func pickedExtraInputs(_ indices: [Int]) -> [String: Tensor] {
        extraInputs.mapValues { tensor in
            let perSample = tensor.count / max(tensor.shape[0], 1)
            var values: [Float] = []
            values.reserveCapacity(indices.count * perSample)
            for index in indices { values += tensor.storage[(index * perSample)..<((index + 1) * perSample)] }
            return Tensor(shape: [indices.count] + tensor.shape.dropFirst(), storage: values)
        }
    }
}
