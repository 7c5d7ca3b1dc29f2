/// The backward passes of `BackwardRules`, and the tensor arithmetic they share.
///
/// Written as plain loops over row-major storage, each the derivative of the ONNX definition the
/// forward kernel implements: the reference, not the fast path.
enum Backward {
    /// Element-wise `a + b` of two gradients of one value (same shape).
    static func sum(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "gradients \(a.shape) and \(b.shape) of one value")
        var result = a
        for index in result.storage.indices { result.storage[index] += b.storage[index] }
        return result
    }

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in shape.indices.reversed() {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// For each element of a tensor of `shape`, the offset of the element of a tensor of `source`
    /// shape that NumPy broadcasting reads for it (`source` aligned to the right).
    static func broadcastOffsets(from source: [Int], to shape: [Int]) -> [Int] {
        let rank = shape.count
        let padded = [Int](repeating: 1, count: rank - source.count) + source
        let sourceStrides = strides(padded)
        var offsets = [Int](repeating: 0, count: Tensor.elementCount(of: shape))
        var index = [Int](repeating: 0, count: rank)
        for element in offsets.indices {
            var offset = 0
            for axis in 0..<rank where padded[axis] != 1 { offset += index[axis] * sourceStrides[axis] }
            offsets[element] = offset
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return offsets
    }

    /// The gradient of a broadcast operand: `gradient` (of the broadcast result) summed over the
    /// axes `shape` was stretched along.
    static func reduce(_ gradient: Tensor, to shape: [Int]) -> Tensor {
        if gradient.shape == shape { return gradient }
        let offsets = broadcastOffsets(from: shape, to: gradient.shape)
        var result = Tensor.zeros(shape)
        for (element, offset) in offsets.enumerated() { result.storage[offset] += gradient.storage[element] }
        return result
    }

    /// `operand` stretched to `shape` by NumPy broadcasting.
    static func broadcast(_ operand: Tensor, to shape: [Int]) -> Tensor {
        if operand.shape == shape { return operand }
        let offsets = broadcastOffsets(from: operand.shape, to: shape)
        return Tensor(shape: shape, storage: offsets.map { operand.storage[$0] })
    }

    /// `C[m×n] += scale · op(A) · op(B)` with `op(A)` `[m×k]`, `op(B)` `[k×n]`; `transposeA` reads A
    /// stored `[k×m]`, `transposeB` B stored `[n×k]` (the fast `GEMM`).
    static func multiply(
        _ a: ArraySlice<Float>, _ b: ArraySlice<Float>, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
        scale: Float = 1, into c: inout [Float], at offset: Int = 0
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    GEMM.multiply(
                        m: m, n: n, k: k, alpha: scale, a: a.baseAddress!, transposeA: transposeA, b: b.baseAddress!,
                        transposeB: transposeB, beta: 1, c: c.baseAddress! + offset)
                }
            }
        }
    }

    /// Element-wise activations: `dX = dY · f′(x, y)` with the derivative from input and output.
    static func activation(_ context: BackwardContext, derivative: (Float, Float) -> Float) throws -> [Tensor?] {
        let x = try context.input(0), y = try context.output(0)
        var gradient = try context.gradient()
        for index in gradient.storage.indices {
            gradient.storage[index] *= derivative(x.storage[index], y.storage[index])
        }
        return [gradient]
    }

    /// Clip: the gradient passes where `low ≤ x ≤ high` (as PyTorch's `clamp`), bounds from the
    /// attributes or from inputs 1 and 2.
    static func clip(_ context: BackwardContext, low: Float?, high: Float?) throws -> [Tensor?] {
        func bound(_ index: Int) -> Float? {
            index < context.inputs.count ? context.inputs[index]?.storage.first : nil
        }
        let lower = bound(1) ?? low ?? -.infinity, upper = bound(2) ?? high ?? .infinity
        let gradients = try activation(context) { x, _ in x >= lower && x <= upper ? 1 : 0 }
        return gradients + [nil, nil]
    }

    /// Add, Sub, Mul, Div with NumPy broadcasting.
    static func arithmetic(_ context: BackwardContext) throws -> [Tensor?] {
        let a = try context.input(0), b = try context.input(1), gradient = try context.gradient()
        let shape = gradient.shape
        switch context.node.op {
        case .add: return [reduce(gradient, to: a.shape), reduce(gradient, to: b.shape)]
        case .sub:
            var negative = gradient
            for index in negative.storage.indices { negative.storage[index] = -negative.storage[index] }
            return [reduce(gradient, to: a.shape), reduce(negative, to: b.shape)]
        case .mul:
            let (wideA, wideB) = (broadcast(a, to: shape), broadcast(b, to: shape))
            var (dA, dB) = (gradient, gradient)
            for index in gradient.storage.indices {
                dA.storage[index] *= wideB.storage[index]
                dB.storage[index] *= wideA.storage[index]
            }
            return [reduce(dA, to: a.shape), reduce(dB, to: b.shape)]
        default:  // .div
            let (wideA, wideB) = (broadcast(a, to: shape), broadcast(b, to: shape))
            var (dA, dB) = (gradient, gradient)
            for index in gradient.storage.indices {
                let denominator = wideB.storage[index]
                dA.storage[index] /= denominator
                dB.storage[index] *= -wideA.storage[index] / (denominator * denominator)
            }
            return [reduce(dA, to: a.shape), reduce(dB, to: b.shape)]
        }
    }
}
