import Foundation

/// Operators that make or rearrange tensors by index: ConstantOfShape, Range, Slice, Tile,
/// Split, GatherElements, CumSum, ArgMax/ArgMin, and Cast.
extension Ops {
    /// ONNX ConstantOfShape: a tensor of `shape` (1-D int64) filled with `value`.
    static func constantOfShape(_ shape: Tensor, value: Float, node: String) throws -> Tensor {
        let extents = try integers(shape, named: "shape", node: node, op: "ConstantOfShape")
        guard extents.allSatisfy({ $0 >= 0 }) else {
            throw mismatch(node, "ConstantOfShape", "shape \(extents) is negative")
        }
        try checkElementCount(extents, node: node, op: "ConstantOfShape")
        return Tensor(shape: extents, repeating: value)
    }

    /// ONNX Cast to `type`: integer types truncate toward zero (NaN and infinities become 0,
    /// values beyond the type saturate), bool is `x != 0`, float types keep the value.
    static func cast(_ x: inout Tensor, to type: ElementType) {
        let bounds: (Float, Float)? =
            switch type {
            case .int8: (-128, 127)
            case .uint8: (0, 255)
            case .int16: (-32768, 32767)
            case .uint16: (0, 65535)
            case .int32: (-2_147_483_648, 2_147_483_647)
            case .int64: (-9.223372e18, 9.223372e18)
            case .int4: (-8, 7)
            case .uint4: (0, 15)
            case .float32, .float64, .bool: nil
            }
        for index in x.storage.indices {
            let value = x.storage[index]
            if type == .bool {
                x.storage[index] = value != 0 ? 1 : 0
            } else if let (low, high) = bounds {
                x.storage[index] = value.isFinite ? min(max(value.rounded(.towardZero), low), high) : 0
            }
        }
    }

    /// ONNX Range: `start, start + delta, …` while below `limit` (above, for a negative delta).
    static func range(start: Float, limit: Float, delta: Float, node: String) throws -> Tensor {
        guard delta != 0, delta.isFinite, start.isFinite, limit.isFinite else {
            throw mismatch(node, "Range", "start \(start), limit \(limit), delta \(delta) give no finite range")
        }
        let count = max(Int(((limit - start) / delta).rounded(.up)), 0)
        try checkElementCount([count], node: node, op: "Range")
        return Tensor(shape: [count], storage: (0..<count).map { start + Float($0) * delta })
    }

    /// ONNX Slice (opset 10+): for each listed axis, elements `start, start + step, …` before `end`
    /// (negative positions count from the end, out-of-range ones are clamped).
    static func slice(
        _ x: Tensor, starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?, node: String
    ) throws -> Tensor {
        let op = "Slice"
        let axes = axes ?? Array(0..<starts.count)
        let steps = steps ?? Array(repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw mismatch(node, op, "starts, ends, axes and steps differ in length")
        }
        var first = [Int](repeating: 0, count: x.rank)
        var step = [Int](repeating: 1, count: x.rank)
        var shape = x.shape
        for (position, rawAxis) in axes.enumerated() {
            let axis = try normalizedAxis(rawAxis, rank: x.rank, node: node, op: op)
            let extent = x.shape[axis], stride = steps[position]
            guard stride != 0 else { throw mismatch(node, op, "step 0 on axis \(axis)") }
            func resolve(_ value: Int, lower: Int, upper: Int) -> Int {
                let shifted = value < 0 ? value + extent : value
                return min(max(shifted, lower), upper)
            }
            let begin: Int, end: Int
            if stride > 0 {
                begin = resolve(starts[position], lower: 0, upper: extent)
                end = resolve(ends[position], lower: 0, upper: extent)
                shape[axis] = end > begin ? (end - begin + stride - 1) / stride : 0
            } else {
                begin = resolve(starts[position], lower: -1, upper: extent - 1)
                end = resolve(ends[position], lower: -1, upper: extent - 1)
                shape[axis] = begin > end ? (begin - end - stride - 1) / -stride : 0
            }
            first[axis] = begin
            step[axis] = stride
        }
        let strides = x.strides
        return gatherByIndex(shape: shape) { index in
            var offset = 0
            for axis in index.indices { offset += (first[axis] + index[axis] * step[axis]) * strides[axis] }
            return x.storage[offset]
        }
    }

    /// ONNX Tile: `x` repeated `repeats[i]` times along axis i.
    static func tile(_ x: Tensor, repeats: [Int], node: String) throws -> Tensor {
        guard repeats.count == x.rank, repeats.allSatisfy({ $0 >= 0 }) else {
            throw mismatch(node, "Tile", "repeats \(repeats) do not fit \(x.shape)")
        }
        let shape = zip(x.shape, repeats).map { $0 * $1 }
        try checkElementCount(shape, node: node, op: "Tile")
        let strides = x.strides
        return gatherByIndex(shape: shape) { index in
            var offset = 0
            for axis in index.indices { offset += (index[axis] % x.shape[axis]) * strides[axis] }
            return x.storage[offset]
        }
    }

    /// ONNX Split along `axis` into `sizes` parts (or `count` equal parts, the last one smaller
    /// when the extent does not divide, as opset 18 allows).
    static func split(_ x: Tensor, axis: Int, sizes: [Int]?, count: Int, node: String) throws -> [Tensor] {
        let op = "Split"
        let resolved = try normalizedAxis(axis, rank: x.rank, node: node, op: op)
        let extent = x.shape[resolved]
        let parts: [Int]
        if let sizes {
            parts = sizes
        } else {
            guard count >= 1 else { throw mismatch(node, op, "no outputs") }
            let size = (extent + count - 1) / count
            parts = (0..<count).map { max(0, min(size, extent - $0 * size)) }
        }
        guard parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) == extent else {
            throw mismatch(node, op, "parts \(parts) do not add up to extent \(extent) of axis \(resolved)")
        }
        var start = 0
        return try parts.map { size in
            defer { start += size }
            return try slice(x, starts: [start], ends: [start + size], axes: [resolved], steps: nil, node: node)
        }
    }

    /// ONNX GatherElements: `out[i][j][k] = data[index[i][j][k]][j][k]` for axis 0 (and so on).
    static func gatherElements(_ data: Tensor, indices: Tensor, axis: Int, node: String) throws -> Tensor {
        let op = "GatherElements"
        let resolved = try normalizedAxis(axis, rank: data.rank, node: node, op: op)
        guard indices.rank == data.rank else {
            throw mismatch(node, op, "indices \(indices.shape) and data \(data.shape) differ in rank")
        }
        let extent = data.shape[resolved]
        let strides = data.strides
        var flat = 0
        var failure: GraphError?
        let result = gatherByIndex(shape: indices.shape) { index in
            defer { flat += 1 }
            var position = Int(indices.storage[flat])
            if position < 0 { position += extent }
            guard position >= 0, position < extent else {
                failure = mismatch(node, op, "index \(indices.storage[flat]) is outside −\(extent)..<\(extent)")
                return 0
            }
            var offset = 0
            for axis in index.indices {
                guard axis == resolved || index[axis] < data.shape[axis] else {
                    failure = mismatch(node, op, "indices \(indices.shape) exceed data \(data.shape)")
                    return 0
                }
                offset += (axis == resolved ? position : index[axis]) * strides[axis]
            }
            return data.storage[offset]
        }
        if let failure { throw failure }
        return result
    }

    /// ONNX CumSum along `axis` (inclusive unless `exclusive`, from the end when `reverse`).
    static func cumulativeSum(_ x: Tensor, axis: Int, exclusive: Bool, reverse: Bool, node: String) throws -> Tensor {
        let resolved = try normalizedAxis(axis, rank: x.rank, node: node, op: "CumSum")
        let outer = product(x.shape, 0..<resolved), extent = x.shape[resolved]
        let inner = product(x.shape, (resolved + 1)..<x.rank)
        var y = x
        for o in 0..<outer {
            for i in 0..<inner {
                var sum: Float = 0
                for step in 0..<extent {
                    let k = reverse ? extent - 1 - step : step
                    let index = (o * extent + k) * inner + i
                    let value = x.storage[index]
                    if exclusive {
                        y.storage[index] = sum
                        sum += value
                    } else {
                        sum += value
                        y.storage[index] = sum
                    }
                }
            }
        }
        return y
    }

    /// ONNX ArgMax / ArgMin along `axis`: the first (or last) position of the extreme value.
    static func argExtreme(
        _ x: Tensor, isMax: Bool, axis: Int, keepDims: Bool, selectLastIndex: Bool, node: String
    ) throws -> Tensor {
        let op = isMax ? "ArgMax" : "ArgMin"
        let resolved = try normalizedAxis(axis, rank: x.rank, node: node, op: op)
        let outer = product(x.shape, 0..<resolved), extent = x.shape[resolved]
        let inner = product(x.shape, (resolved + 1)..<x.rank)
        var result = [Float](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0
                for k in 0..<extent {
                    let value = x.storage[(o * extent + k) * inner + i]
                    let current = x.storage[(o * extent + best) * inner + i]
                    let better = isMax ? value > current : value < current
                    if better || (selectLastIndex && value == current) { best = k }
                }
                result[o * inner + i] = Float(best)
            }
        }
        var shape = x.shape
        if keepDims { shape[resolved] = 1 } else { shape.remove(at: resolved) }
        return Tensor(shape: shape, storage: result)
    }

    /// A tensor of `shape` whose element at each multi-index (row-major) is `value(index)`.
    static func gatherByIndex(shape: [Int], _ value: ([Int]) -> Float) -> Tensor {
        let count = Tensor.elementCount(of: shape)
        var storage = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<count {
            storage[flat] = value(index)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, storage: storage)
    }
}
