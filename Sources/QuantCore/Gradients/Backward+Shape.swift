/// Operators that only move values: Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout
/// (inference), Transpose and Concat.
extension Backward {
    /// The gradient laid out in the input's shape (same elements, same order).
    static func reshape(_ context: BackwardContext) throws -> [Tensor?] {
        let x = try context.input(0), gradient = try context.gradient()
        return [Tensor(shape: x.shape, storage: gradient.storage)] + context.inputs.dropFirst().map { _ in nil }
    }

    /// `tensor` with its axes permuted: result axis `i` is `tensor`'s axis `permutation[i]`.
    static func permuted(_ tensor: Tensor, _ permutation: [Int]) -> Tensor {
        let shape = permutation.map { tensor.shape[$0] }
        let sourceStrides = strides(tensor.shape)
        let stepped = permutation.map { sourceStrides[$0] }
        return Ops.gatherByIndex(shape: shape) { index in
            var offset = 0
            for axis in index.indices { offset += index[axis] * stepped[axis] }
            return tensor.storage[offset]
        }
    }

    /// Transpose: the gradient permuted back by the inverse permutation (empty: reversed axes).
    static func transpose(_ context: BackwardContext, permutation: [Int]) throws -> [Tensor?] {
        let gradient = try context.gradient()
        let forward = permutation.isEmpty ? Array((0..<gradient.rank).reversed()) : permutation
        var inverse = [Int](repeating: 0, count: forward.count)
        for (axis, source) in forward.enumerated() { inverse[source] = axis }
        return [permuted(gradient, inverse)]
    }

    /// Concat: each input gets its slice of the gradient along `axis`.
    static func concat(_ context: BackwardContext, axis: Int) throws -> [Tensor?] {
        let gradient = try context.gradient()
        let resolved = try resolvedAxis(axis, rank: gradient.rank, context: context)
        let outer = Tensor.elementCount(of: Array(gradient.shape[..<resolved]))
        let inner = Tensor.elementCount(of: Array(gradient.shape[(resolved + 1)...]))
        let total = gradient.shape[resolved]
        var start = 0
        return context.inputs.map { input -> Tensor? in
            guard let input else { return nil }
            let extent = input.shape[resolved]
            var values = [Float](repeating: 0, count: input.storage.count)
            for o in 0..<outer {
                let source = (o * total + start) * inner, target = o * extent * inner
                for e in 0..<(extent * inner) { values[target + e] = gradient.storage[source + e] }
            }
            start += extent
            return Tensor(shape: input.shape, storage: values)
        }
    }
}
