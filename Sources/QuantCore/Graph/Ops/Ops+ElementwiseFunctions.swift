/// Kernels of the table-driven families (`UnaryFunction`, `BinaryElementwise`,
/// `VariadicElementwise`, `Reduction`) and of Where and Expand, which broadcast the same way.
extension Ops {
    /// `function` applied to every element of `x`, in place.
    static func unary(_ x: inout Tensor, _ function: UnaryFunction) {
        x.storage.withUnsafeMutableBufferPointer { buffer in
            for index in buffer.indices { buffer[index] = function.apply(buffer[index]) }
        }
    }

    /// The values of `operands` broadcast to one shape, combined element by element by `body`
    /// (which gets one value per operand).
    ///
    /// - Throws: `GraphError.shapeMismatch` when the shapes do not broadcast.
    static func broadcastMap(
        _ operands: [Tensor], node: String, op: String, _ body: ([Float]) -> Float
    ) throws -> Tensor {
        var shape: [Int] = []
        for operand in operands {
            guard let next = broadcastShape(shape, operand.shape) else {
                throw mismatch(
                    node, op, "\(operands.map(\.shape).map { "\($0)" }.joined(separator: ", ")) do not broadcast")
            }
            shape = next
        }
        try checkElementCount(shape, node: node, op: op)
        var result = [Float](repeating: 0, count: Tensor.elementCount(of: shape))
        let plan = BroadcastPlan(target: shape, operands: [shape] + operands.map(\.shape))
        var values = [Float](repeating: 0, count: operands.count)
        plan.forEachRun { offsets, innerCount, innerStrides in
            for step in 0..<innerCount {
                for operand in operands.indices {
                    values[operand] = operands[operand].storage[offsets[operand + 1] + step * innerStrides[operand + 1]]
                }
                result[offsets[0] + step * innerStrides[0]] = body(values)
            }
        }
        return Tensor(shape: shape, storage: result)
    }

    /// `function(a, b)` element-wise with NumPy broadcasting.
    static func binary(_ function: BinaryElementwise, _ a: Tensor, _ b: Tensor, node: String) throws -> Tensor {
        try broadcastMap([a, b], node: node, op: function.onnxName) { function.apply($0[0], $0[1]) }
    }

    /// Sum, Min, Max or Mean of `operands` with broadcasting.
    static func variadic(_ function: VariadicElementwise, _ operands: [Tensor], node: String) throws -> Tensor {
        guard !operands.isEmpty else { throw mismatch(node, function.rawValue, "needs at least one input") }
        let divisor = Float(operands.count)
        return try broadcastMap(operands, node: node, op: function.rawValue) { values in
            var result = values[0]
            for value in values.dropFirst() { result = function.combine(result, value) }
            return function == .mean ? result / divisor : result
        }
    }

    /// `condition ? x : y` element-wise with broadcasting (any non-zero condition is true).
    static func select(_ condition: Tensor, _ x: Tensor, _ y: Tensor, node: String) throws -> Tensor {
        try broadcastMap([condition, x, y], node: node, op: "Where") { $0[0] != 0 ? $0[1] : $0[2] }
    }

    /// `x` broadcast to `shape` (1-D int64) multidirectionally, as ONNX Expand.
    static func expand(_ x: Tensor, shape: Tensor, node: String) throws -> Tensor {
        let target = try integers(shape, named: "shape", node: node, op: "Expand")
        guard target.allSatisfy({ $0 >= 0 }) else { throw mismatch(node, "Expand", "shape \(target) is negative") }
        guard let result = broadcastShape(x.shape, target) else {
            throw mismatch(node, "Expand", "\(x.shape) does not broadcast to \(target)")
        }
        try checkElementCount(result, node: node, op: "Expand")
        return try broadcastMap([x, Tensor(shape: target, repeating: 0)], node: node, op: "Expand") { $0[0] }
    }

    /// A reduction over `axes` (empty: all axes, or none when `noOp`), in `Double`, row-major order.
    ///
    /// - Throws: `GraphError.shapeMismatch` for an axis out of range or listed twice.
    static func reduce(
        _ x: Tensor, _ reduction: Reduction, axes: [Int], keepDims: Bool, node: String
    ) throws -> Tensor {
        let op = reduction.rawValue
        var reduced = Set<Int>()
        for axis in axes {
            guard reduced.insert(try normalizedAxis(axis, rank: x.rank, node: node, op: op)).inserted else {
                throw mismatch(node, op, "axes \(axes) lists an axis twice")
            }
        }
        if axes.isEmpty { reduced = Set(0..<x.rank) }
        let keptShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let keptStrides = Tensor.strides(of: keptShape).enumerated().map {
            reduced.contains($0.offset) ? 0 : $0.element
        }
        var running = [Double](repeating: reduction.identity, count: Tensor.elementCount(of: keptShape))
        var index = [Int](repeating: 0, count: x.rank)
        var target = 0
        for value in x.storage {
            running[target] = reduction.accumulate(running[target], Double(value))
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
        let outputShape =
            keepDims ? keptShape : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        return Tensor(shape: outputShape, storage: running.map { Float(reduction.finish($0)) })
    }
}
