/// Reductions over chosen axes (ReduceMean).
extension Ops {
    /// ONNX ReduceMean: the mean over `axes` (empty: all axes; negative counts from the end).
    ///
    /// Reduced axes become extent 1 when `keepDims`, else they are removed. Sums run in
    /// `Double` in row-major order, so the result is deterministic and does not drift for
    /// large windows. `[[1, 2], [3, 5]]` over axis 1 gives `[1.5, 4]` (`[[1.5], [4]]` kept).
    /// Reducing an empty axis gives NaN (0 / 0), as NumPy's mean does.
    /// - Throws: `GraphError.shapeMismatch` for an axis out of range or listed twice.
    static func reduceMean(_ x: Tensor, axes: [Int], keepDims: Bool, node: String = "") throws -> Tensor {
        let op = "ReduceMean"
        var reduced = Set<Int>()
        for axis in axes {
            guard reduced.insert(try normalizedAxis(axis, rank: x.rank, node: node, op: op)).inserted else {
                throw mismatch(node, op, "axes \(axes) lists an axis twice")
            }
        }
        if axes.isEmpty { reduced = Set(0..<x.rank) }
        // Output strides seen from the input: 0 along reduced axes.
        let keptShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let keptStrides = Tensor.strides(of: keptShape).enumerated().map {
            reduced.contains($0.offset) ? 0 : $0.element
        }
        var sums = [Double](repeating: 0, count: Tensor.elementCount(of: keptShape))
        var index = [Int](repeating: 0, count: x.rank)
        var target = 0
        for value in x.storage {
            sums[target] += Double(value)
            var axis = x.rank - 1
            while axis >= 0 {
                index[axis] += 1
                target += keptStrides[axis]
                if index[axis] < x.shape[axis] { break }
                target -= keptStrides[axis] * x.shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        let count = Double(reduced.reduce(1) { $0 * x.shape[$1] })
        let outputShape =
            keepDims ? keptShape : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        return Tensor(shape: outputShape, storage: sums.map { Float($0 / count) })
    }
}
