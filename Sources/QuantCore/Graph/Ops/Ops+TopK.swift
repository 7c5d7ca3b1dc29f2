/// TopK: the k largest or smallest values along an axis and where they are.
extension Ops {
    /// ONNX TopK: values and int64 indices (as exact floats) of the `k` largest (`largest`) or
    /// smallest elements along `axis`, best first; equal values keep the lower index first.
    /// NaN counts as larger than every number. The output is always sorted (ONNX leaves the
    /// order free when `sorted` is 0).
    /// - Throws: `GraphError.shapeMismatch` when `k` is negative or exceeds the axis.
    static func topK(_ x: Tensor, k: Int, axis: Int, largest: Bool, node: String) throws -> [Tensor] {
        let op = "TopK"
        let resolved = try normalizedAxis(axis, rank: x.rank, node: node, op: op)
        let extent = x.shape[resolved]
        guard k >= 0, k <= extent else {
            throw mismatch(node, op, "k = \(k) is outside 0...\(extent) for X \(x.shape)")
        }
        let outer = product(x.shape, 0..<resolved), inner = product(x.shape, (resolved + 1)..<x.rank)
        var shape = x.shape
        shape[resolved] = k
        var values = Tensor(shape: shape), indices = Tensor(shape: shape)
        func before(_ a: (value: Float, index: Int), _ b: (value: Float, index: Int)) -> Bool {
            if a.value == b.value || (a.value.isNaN && b.value.isNaN) { return a.index < b.index }
            if a.value.isNaN { return largest }
            if b.value.isNaN { return !largest }
            return largest ? a.value > b.value : a.value < b.value
        }
        var slice: [(value: Float, index: Int)] = []
        slice.reserveCapacity(extent)
        for block in 0..<outer {
            for offset in 0..<inner {
                let base = block * extent * inner + offset
                slice.removeAll(keepingCapacity: true)
                for position in 0..<extent { slice.append((x.storage[base + position * inner], position)) }
                slice.sort(by: before)
                let target = block * k * inner + offset
                for rank in 0..<k {
                    values.storage[target + rank * inner] = slice[rank].value
                    indices.storage[target + rank * inner] = Float(slice[rank].index)
                }
            }
        }
        return [values, indices]
    }
}
