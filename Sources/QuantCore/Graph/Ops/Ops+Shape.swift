/// Flatten, Reshape, Concat, Squeeze, Unsqueeze and Shape: operators that move no values, or
/// only report shapes (Identity, Dropout and Constant live in the executor).
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
                guard inferredAxis == nil else {
                    throw mismatch(node, op, "shape \(target.map { Int($0) }) has more than one -1")
                }
                inferredAxis = axis
                shape.append(1)
            } else if extent == 0 && !allowZero {
                guard axis < inputShape.count else {
                    throw mismatch(
                        node, op, "shape entry 0 at index \(axis) has no input extent to copy (input \(inputShape))")
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
                throw mismatch(
                    node, op, "cannot infer -1: \(count) elements of \(inputShape) into \(target.map { Int($0) })")
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
        try concat(inputs, axis: axis, node: node) { source, target, count, _, _ in
            target.update(from: source, count: count)
        }
    }

    /// `concat` with each input's block of one outer index written by `write(source, target,
    /// count, first, inner)`: `count` values starting at index `first` along the axis, `inner`
    /// values per index (what a per-channel map needs to know which channels it writes).
    static func concat(
        _ inputs: [Tensor], axis: Int, node: String,
        write: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int, Int) -> Void
    ) throws -> Tensor {
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
                        write(source + o * chunk, out + o * outputRow + column, chunk, column / max(inner, 1), inner)
                    }
                }
                column += chunk
            }
        }
    }

    /// ONNX Squeeze: removes the listed axes (each must have extent 1), or every axis of
    /// extent 1 when `axes` is `nil`. `[1, 3, 1, 2]` with axes `[0, −2]` gives `[3, 2]`.
    ///
    /// - Throws: `GraphError.shapeMismatch` for an axis out of range, listed twice, or not of extent 1.
    static func squeeze(_ x: Tensor, axes: Tensor?, node: String = "") throws -> Tensor {
        let op = "Squeeze"
        guard let axes else { return x.reshaped(x.shape.filter { $0 != 1 }) }
        var removed = Set<Int>()
        for axis in try integers(axes, named: "axes", node: node, op: op) {
            let resolved = try normalizedAxis(axis, rank: x.rank, node: node, op: op)
            guard x.shape[resolved] == 1 else {
                throw mismatch(node, op, "axis \(axis) of \(x.shape) has extent \(x.shape[resolved]), not 1")
            }
            guard removed.insert(resolved).inserted else { throw mismatch(node, op, "axis \(axis) is listed twice") }
        }
        return x.reshaped(x.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element))
    }

    /// ONNX Unsqueeze: inserts axes of extent 1 at the listed positions of the output (rank
    /// `r + axes.count`; negative counts from its end). `[3, 2]` with axes `[0, 3]` gives `[1, 3, 2, 1]`.
    ///
    /// - Throws: `GraphError.shapeMismatch` for an axis out of range or listed twice.
    static func unsqueeze(_ x: Tensor, axes: Tensor, node: String = "") throws -> Tensor {
        let op = "Unsqueeze"
        let listed = try integers(axes, named: "axes", node: node, op: op)
        let outputRank = x.rank + listed.count
        var inserted = Set<Int>()
        for axis in listed {
            let resolved = try normalizedAxis(axis, rank: outputRank, node: node, op: op)
            guard inserted.insert(resolved).inserted else { throw mismatch(node, op, "axis \(axis) is listed twice") }
        }
        var remaining = x.shape[...]
        let shape = (0..<outputRank).map { inserted.contains($0) ? 1 : remaining.popFirst() ?? 1 }
        return x.reshaped(shape)
    }

    /// ONNX Shape: the extents of `x` on axes `start..<end` as a 1-D tensor (int64 in files).
    ///
    /// Negative positions count from the end; both are then clamped to `0...rank`, and an
    /// empty range gives `[]` (as in opset 15). `[2, 3, 4]` with start −2 gives `[3, 4]`.
    static func shape(of x: Tensor, start: Int = 0, end: Int? = nil) -> Tensor {
        shape(of: x.shape, start: start, end: end)
    }

    /// ONNX Shape of a value whose extents are `shape` (see `shape(of:start:end:)`).
    static func shape(of shape: [Int], start: Int = 0, end: Int? = nil) -> Tensor {
        let rank = shape.count
        func clamped(_ position: Int) -> Int { min(max(position < 0 ? position + rank : position, 0), rank) }
        let first = clamped(start), last = clamped(end ?? rank)
        let extents = first < last ? shape[first..<last].map { Float($0) } : []
        return Tensor(shape: [extents.count], storage: extents)
    }

    /// The values of an integer operand (ONNX int64 held as `Float`), checked to be whole numbers.
    ///
    /// - Throws: `GraphError.shapeMismatch` naming the operand when it is not 1-D (or a scalar)
    ///   or holds a fraction.
    static func integers(_ tensor: Tensor, named name: String, node: String, op: String) throws -> [Int] {
        guard tensor.rank <= 1 else { throw mismatch(node, op, "\(name) must be 1-D, got \(tensor.shape)") }
        return try tensor.storage.map { value in
            guard value.rounded() == value, abs(value) < Float(1 << 62) else {
                throw mismatch(node, op, "\(name) holds \(value), not an integer")
            }
            return Int(value)
        }
    }
}
