/// Transpose: reorders axes, copying the elements into the new row-major order.
extension Ops {
    /// The permutation ONNX Transpose uses: `permutation`, or the reversed axes when it is empty.
    ///
    /// - Throws: `GraphError.shapeMismatch` unless it lists every axis of `rank` exactly once.
    static func resolvedPermutation(_ permutation: [Int], rank: Int, node: String = "") throws -> [Int] {
        if permutation.isEmpty { return Array((0..<rank).reversed()) }
        guard permutation.count == rank, permutation.sorted() == Array(0..<rank) else {
            throw mismatch(node, "Transpose", "perm \(permutation) is not a permutation of the \(rank) axes")
        }
        return permutation
    }

    /// ONNX Transpose: output axis `i` is input axis `permutation[i]`.
    ///
    /// `[[1, 2, 3], [4, 5, 6]]` with perm `[1, 0]` gives `[[1, 4], [2, 5], [3, 6]]`.
    /// Walks the output in order with an odometer over the outer axes and a strided inner loop.
    /// - Throws: `GraphError.shapeMismatch` when `permutation` does not fit the rank of `x`.
    static func transpose(_ x: Tensor, permutation: [Int], node: String = "") throws -> Tensor {
        let order = try resolvedPermutation(permutation, rank: x.rank, node: node)
        let inputStrides = x.strides
        let outputShape = order.map { x.shape[$0] }
        let strides = order.map { inputStrides[$0] }  // input step per output axis
        guard let innerExtent = outputShape.last, x.count > 0 else { return x.reshaped(outputShape) }
        let innerStride = strides[strides.count - 1]
        let outerRank = outputShape.count - 1
        return x.storage.withUnsafeBufferPointer { input in
            makeTensor(shape: outputShape) { output in
                guard let source = input.baseAddress, let target = output.baseAddress else { return }
                var index = [Int](repeating: 0, count: outerRank)
                var offset = 0
                var written = 0
                while written < output.count {
                    for i in 0..<innerExtent { target[written + i] = source[offset + i * innerStride] }
                    written += innerExtent
                    // Advance the odometer over the outer output axes.
                    var axis = outerRank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += strides[axis]
                        if index[axis] < outputShape[axis] { break }
                        offset -= strides[axis] * outputShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
    }

    /// Plain reference for `transpose`: each output element's multi-index mapped to the input.
    static func transposeReference(_ x: Tensor, permutation: [Int]) throws -> Tensor {
        let order = try resolvedPermutation(permutation, rank: x.rank)
        let inputStrides = x.strides
        var result = Tensor(shape: order.map { x.shape[$0] })
        for flat in 0..<result.count {
            var remainder = flat, offset = 0
            for axis in stride(from: result.rank - 1, through: 0, by: -1) {
                offset += (remainder % result.shape[axis]) * inputStrides[order[axis]]
                remainder /= result.shape[axis]
            }
            result.storage[flat] = x.storage[offset]
        }
        return result
    }
}
