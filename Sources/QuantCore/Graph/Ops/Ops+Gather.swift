/// Gather: picks slices of a tensor by index (embedding lookups, `x.shape[i]` in exported graphs).
extension Ops {
    /// ONNX Gather along `axis`: output shape `data[..<axis] + indices.shape + data[(axis+1)...]`.
    ///
    /// Each index selects one slice of `data` along `axis`; negative indices count from the end.
    /// data `[[1, 2], [3, 4], [5, 6]]`, indices `[[0, 2]]`, axis 0 → `[[[1, 2], [5, 6]]]` (`[1, 2, 2]`);
    /// a scalar index removes the axis: `[3, 4, 5]` at index 1 (scalar), axis 0 → `4`.
    /// - Throws: `GraphError.shapeMismatch` for a bad axis, a scalar `data`, or an index that
    ///   is fractional or outside `−n..<n`.
    static func gather(_ data: Tensor, indices: Tensor, axis: Int, node: String = "") throws -> Tensor {
        let op = "Gather"
        guard data.rank >= 1 else { throw mismatch(node, op, "data must have rank ≥ 1, got a scalar") }
        let resolved = try normalizedAxis(axis, rank: data.rank, node: node, op: op)
        let extent = data.shape[resolved]
        let positions = try indices.storage.map { value -> Int in
            guard value.rounded() == value, value >= Float(-extent), value < Float(extent) else {
                throw mismatch(
                    node, op, "index \(value) is outside −\(extent)..<\(extent) on axis \(resolved) of \(data.shape)")
            }
            let index = Int(value)
            return index < 0 ? index + extent : index
        }
        let outer = product(data.shape, 0..<resolved)
        let inner = product(data.shape, (resolved + 1)..<data.rank)
        let outputShape = Array(data.shape[..<resolved]) + indices.shape + Array(data.shape[(resolved + 1)...])
        return data.storage.withUnsafeBufferPointer { input in
            makeTensor(shape: outputShape) { output in
                guard let source = input.baseAddress, let target = output.baseAddress, inner > 0 else { return }
                var written = 0
                for o in 0..<outer {
                    for position in positions {
                        (target + written).update(from: source + (o * extent + position) * inner, count: inner)
                        written += inner
                    }
                }
            }
        }
    }
}
