/// Graphs exported with a batch fixed at 1 (`[1, 3, 224, 224]`, as ONNX's model zoo has them) run
/// a batch of N one sample at a time: each input is cut into N slices along axis 0, the graph
/// runs on each, and every returned value is stacked back along axis 0. The results are those of
/// N separate runs, so nothing in the graph (a Reshape to `[1, -1]`, say) needs rewriting.
///
/// Every value fed, cached or returned must then be per sample: leading extent N across the
/// batch, 1 within a sample; a value that is not (a shape computed inside the graph, say) is
/// reported instead of being mixed up.
extension GraphExecutor {
    /// Whether some graph input declares a leading extent of exactly 1.
    var hasFixedUnitBatch: Bool {
        graph.inputs.contains { $0.shape.count >= 1 && $0.shape[0] == 1 }
    }

    /// The batch to split when `values` (fed inputs or cached values) hold more than one sample
    /// for a graph whose batch is fixed at 1: their common leading extent, when above 1.
    func perSampleCount(_ values: [String: Tensor]) -> Int? {
        guard hasFixedUnitBatch, let first = values.values.first, first.rank >= 1 else { return nil }
        let count = first.shape[0]
        guard count > 1, values.values.allSatisfy({ $0.rank >= 1 && $0.shape[0] == count }) else { return nil }
        return count
    }

    /// Runs `body` on each of the `count` samples of `values` and stacks what it returns.
    ///
    /// - Throws: what `body` throws; `GraphError.unsupported` when a returned value does not have
    ///   a leading extent of 1 (it cannot be stacked per sample).
    func runPerSample(
        count: Int, values: [String: Tensor], _ body: ([String: Tensor]) throws -> [String: Tensor]
    ) throws -> [String: Tensor] {
        var parts: [String: [Tensor]] = [:]
        for index in 0..<count {
            let sample = values.mapValues { $0.slice(rows: index..<(index + 1)) }
            for (name, value) in try body(sample) {
                guard value.rank >= 1, value.shape[0] == 1 else {
                    throw GraphError.unsupported(
                        node: name, op: "batch",
                        detail: "the graph's batch is fixed at 1 and this value \(value.shape) is not one per sample, "
                            + "so a batch of \(count) cannot run sample by sample")
                }
                parts[name, default: []].append(value)
            }
        }
        return try parts.mapValues { try Ops.concat($0, axis: 0, node: "batch") }
    }
}
