/// Flatten, Reshape and Concat: shape-only operators (Identity, Dropout and Constant live in the executor).
extension Ops {
    /// ONNX Flatten: `[d0, …, d(r−1)]` → `[d0·…·d(axis−1), d(axis)·…·d(r−1)]`; `axis` in `−r...r`.
    ///
    /// - Throws: `GraphError.shapeMismatch` when `axis` is out of range.
    static func flatten(_ x: Tensor, axis: Int, node: String = "") throws -> Tensor {
        let resolved = try normalizedAxis(axis, rank: x.rank, allowingEnd: true, node: node, op: "Flatten")
        let outer = product(x.shape, 0..<resolved)
        return x.reshaped([outer, product(x.shape, resolved..<x.rank)])
    }

    /// The output shape of ONNX Reshape for input shape `inputShape` and requested `target`.
    ///
    /// Each entry of `target` is an extent, `0` (copy the input's extent at that index, or a
    /// real zero when `allowZero`) or `−1` (at most one; inferred from the element count).
    /// - Throws: `GraphError.shapeMismatch` for non-integral or negative entries, two `−1`s,
    ///   `0` past the input's rank, or an element count that does not match.
    static func reshapedShape(
        _ inputShape: [Int], target: [Float], allowZero: Bool, node: String = ""
    ) throws -> [Int] {
        let op = "Reshape"
        let count = Tensor.elementCount(of: inputShape)
        var shape: [Int] = []
        var inferredAxis: Int? = nil
        for (axis, entry) in target.enumerated() {
            guard entry.rounded() == entry, entry >= -1, entry < Float(1 << 62) else {
                throw mismatch(node, op, "shape entry \(entry) at index \(axis) is not an extent, 0 or -1")
            }
            let extent = Int(entry)
            if extent == -1 {
                guard inferredAxis == nil else { throw mismatch(node, op, "shape \(target.map { Int($0) }) has more than one -1") }
                inferredAxis = axis
                shape.append(1)
            } else if extent == 0 && !allowZero {
                guard axis < inputShape.count else {
                    throw mismatch(node, op, "shape entry 0 at index \(axis) has no input extent to copy (input \(inputShape))")
                }
                shape.append(inputShape[axis])
            } else {
                shape.append(extent)
            }
        }
        if allowZero, inferredAxis != nil, shape.contains(0) {
            throw mismatch(node, op, "allowzero with both 0 and -1 in shape \(target.map { Int($0) })")
        }
        var known = 1
        for extent in shape {
            let (product, overflow) = known.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw mismatch(node, op, "shape \(shape) is too large") }
            known = product
        }
        if let inferredAxis {
            guard known != 0, count % known == 0 else {
                throw mismatch(node, op, "cannot infer -1: \(count) elements of \(inputShape) into \(target.map { Int($0) })")
            }
            shape[inferredAxis] = count / known
        } else if known != count {
            throw mismatch(node, op, "\(inputShape) has \(count) elements, shape \(shape) needs \(known)")
        }
        return shape
    }

    /// ONNX Reshape: the same elements with the shape `reshapedShape` resolves from `shape`.
    static func reshape(_ x: Tensor, shape: Tensor, allowZero: Bool, node: String = "") throws -> Tensor {
        guard shape.rank == 1 else {
            throw mismatch(node, "Reshape", "the shape input must be 1-D, got \(shape.shape)")
        }
        return x.reshaped(try reshapedShape(x.shape, target: shape.storage, allowZero: allowZero, node: node))
    }

    /// ONNX Concat along `axis` (negative counts from the end); all other extents must match.
    ///
    /// - Throws: `GraphError.shapeMismatch` for no inputs, unequal ranks or extents, or a bad axis.
    static func concat(_ inputs: [Tensor], axis: Int, node: String = "") throws -> Tensor {
        let op = "Concat"
        guard let first = inputs.first else { throw mismatch(node, op, "needs at least one input") }
        guard first.rank >= 1 else { throw mismatch(node, op, "inputs must have rank ≥ 1") }
        let resolved = try normalizedAxis(axis, rank: first.rank, node: node, op: op)
        var outputShape = first.shape
        outputShape[resolved] = 0
        for input in inputs {
            var other = input.shape
            guard other.count == first.rank else {
                throw mismatch(node, op, "inputs \(first.shape) and \(input.shape) differ in rank")
            }
            other[resolved] = 0
            var expected = first.shape
            expected[resolved] = 0
            guard other == expected else {
                throw mismatch(node, op, "inputs \(first.shape) and \(input.shape) differ outside axis \(resolved)")
            }
            outputShape[resolved] += input.shape[resolved]
        }
        let outer = product(first.shape, 0..<resolved)
        let inner = product(first.shape, (resolved + 1)..<first.rank)
        let outputRow = outputShape[resolved] * inner
        return makeTensor(shape: outputShape) { output in
            guard let out = output.baseAddress else { return }
            var column = 0
            for input in inputs {
                let chunk = input.shape[resolved] * inner
                input.storage.withUnsafeBufferPointer { values in
                    guard let source = values.baseAddress, chunk > 0 else { return }
                    for o in 0..<outer {
                        (out + o * outputRow + column).update(from: source + o * chunk, count: chunk)
                    }
                }
                column += chunk
            }
        }
    }
}
