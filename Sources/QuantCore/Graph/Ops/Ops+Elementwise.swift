/// Add, Sub, Mul and Div with multidirectional broadcasting.
extension Ops {
    /// The four broadcasting arithmetic operators.
    enum Arithmetic: Sendable {
        /// `a + b`.
        case add
        /// `a − b`.
        case sub
        /// `a · b`.
        case mul
        /// `a / b` (IEEE: division by zero gives ±inf or NaN, as ONNX's float Div).
        case div

        /// The ONNX operator name.
        var onnxName: String {
            switch self {
            case .add: "Add"
            case .sub: "Sub"
            case .mul: "Mul"
            case .div: "Div"
            }
        }
    }

    /// `a ∘ b` element-wise with NumPy broadcasting; the result has the broadcast shape.
    ///
    /// - Throws: `GraphError.shapeMismatch` when the shapes do not broadcast.
    static func arithmetic(_ operation: Arithmetic, _ a: Tensor, _ b: Tensor, node: String = "") throws -> Tensor {
        switch operation {
        case .add: try broadcasting(a, b, AddFunction.self, node: node, op: operation.onnxName)
        case .sub: try broadcasting(a, b, SubFunction.self, node: node, op: operation.onnxName)
        case .mul: try broadcasting(a, b, MulFunction.self, node: node, op: operation.onnxName)
        case .div: try broadcasting(a, b, DivFunction.self, node: node, op: operation.onnxName)
        }
    }

    /// `a ← a + b` for tensors of one shape, then `clamp` (a fused ReLU/Clip) when given: the
    /// same values as `arithmetic(.add, a, b)` followed by `clip`, without a new buffer or a
    /// second pass.
    static func addInPlace(_ a: inout Tensor, _ b: Tensor, clamp: OutputClamp?) {
        precondition(a.shape == b.shape, "addInPlace needs one shape")
        b.storage.withUnsafeBufferPointer { y in
            a.storage.withUnsafeMutableBufferPointer { x in
                if let clamp {
                    let low = clamp.low, high = clamp.high
                    for i in x.indices {
                        var value = x[i] + y[i]
                        value = value < low ? low : value
                        value = value > high ? high : value
                        x[i] = value
                    }
                } else {
                    for i in x.indices { x[i] += y[i] }
                }
            }
        }
    }

    /// Plain reference for `arithmetic`: one multi-index per output element.
    static func arithmeticReference(_ operation: Arithmetic, _ a: Tensor, _ b: Tensor) -> Tensor? {
        guard let shape = broadcastShape(a.shape, b.shape) else { return nil }
        let stridesA = broadcastStrides(of: a.shape, to: shape)
        let stridesB = broadcastStrides(of: b.shape, to: shape)
        var result = Tensor(shape: shape)
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<result.count {
            var remainder = flat
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                index[axis] = remainder % shape[axis]
                remainder /= shape[axis]
            }
            var offsetA = 0, offsetB = 0
            for axis in 0..<shape.count {
                offsetA += index[axis] * stridesA[axis]
                offsetB += index[axis] * stridesB[axis]
            }
            let x = a.storage[offsetA], y = b.storage[offsetB]
            switch operation {
            case .add: result.storage[flat] = x + y
            case .sub: result.storage[flat] = x - y
            case .mul: result.storage[flat] = x * y
            case .div: result.storage[flat] = x / y
            }
        }
        return result
    }

    /// The broadcasting loop, specialized per function so the inner loop has no dispatch.
    static func broadcasting<F: BinaryFunction>(
        _ a: Tensor, _ b: Tensor, _ function: F.Type, node: String, op: String
    ) throws -> Tensor {
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw mismatch(node, op, "\(a.shape) and \(b.shape) do not broadcast")
        }
        return a.storage.withUnsafeBufferPointer { bufferA in
            b.storage.withUnsafeBufferPointer { bufferB in
                makeTensor(shape: shape) { output in
                    guard let x = bufferA.baseAddress, let y = bufferB.baseAddress, let out = output.baseAddress else {
                        return
                    }
                    let count = output.count
                    if a.shape == b.shape {
                        for i in 0..<count { out[i] = F.apply(x[i], y[i]) }
                    } else if b.count == 1, a.count == count {
                        let scalar = y[0]
                        for i in 0..<count { out[i] = F.apply(x[i], scalar) }
                    } else if a.count == 1, b.count == count {
                        let scalar = x[0]
                        for i in 0..<count { out[i] = F.apply(scalar, y[i]) }
                    } else {
                        let plan = BroadcastPlan(target: shape, operands: [shape, a.shape, b.shape])
                        plan.forEachRun { offsets, innerCount, innerStrides in
                            let o = out + offsets[0], p = x + offsets[1], q = y + offsets[2]
                            let strideA = innerStrides[1], strideB = innerStrides[2]
                            if strideA == 1, strideB == 1 {
                                for i in 0..<innerCount { o[i] = F.apply(p[i], q[i]) }
                            } else if strideA == 1 {
                                let scalar = q[0]
                                for i in 0..<innerCount { o[i] = F.apply(p[i], scalar) }
                            } else if strideB == 1 {
                                let scalar = p[0]
                                for i in 0..<innerCount { o[i] = F.apply(scalar, q[i]) }
                            } else {
                                for i in 0..<innerCount { o[i] = F.apply(p[i * strideA], q[i * strideB]) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A binary float function, as a type so generic loops specialize on it.
protocol BinaryFunction {
    /// The function's value at `(a, b)`.
    static func apply(_ a: Float, _ b: Float) -> Float
}

/// `a + b`.
enum AddFunction: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}

/// `a − b`.
enum SubFunction: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}

/// `a · b`.
enum MulFunction: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}

/// `a / b`.
enum DivFunction: BinaryFunction {
    @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}
