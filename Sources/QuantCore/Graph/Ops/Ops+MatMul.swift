/// Gemm and MatMul, both on top of `GEMM.multiply`.
extension Ops {
    /// ONNX Gemm: `Y[M, N] = alpha · op(A) · op(B) + beta · C`.
    ///
    /// - Parameters:
    ///   - a: `[M, K]`, or `[K, M]` with `transposeA`.
    ///   - b: `[K, N]`, or `[N, K]` with `transposeB` (PyTorch `Linear` weights).
    ///   - c: optional bias, unidirectionally broadcastable to `[M, N]` (typically `[N]`).
    ///   - packedB: `b` already packed for the GEMM kernel (same result, no packing per call).
    /// - Throws: `GraphError.shapeMismatch` for non-2-D operands, unequal `K` or a bad `C`.
    static func gemm(
        _ a: Tensor, _ b: Tensor, _ c: Tensor?, attributes: GemmAttributes, node: String = "",
        packedB: GEMM.PackedMatrix? = nil
    ) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else {
            throw mismatch(node, "Gemm", "A \(a.shape) and B \(b.shape) must both be 2-D")
        }
        let m = attributes.transposeA ? a.shape[1] : a.shape[0]
        let k = attributes.transposeA ? a.shape[0] : a.shape[1]
        let kOfB = attributes.transposeB ? b.shape[1] : b.shape[0]
        let n = attributes.transposeB ? b.shape[0] : b.shape[1]
        guard k == kOfB else {
            throw mismatch(
                node, "Gemm",
                "inner dimensions differ: op(A) is [\(m), \(k)], op(B) is [\(kOfB), \(n)] "
                    + "(A \(a.shape) transA=\(attributes.transposeA), B \(b.shape) transB=\(attributes.transposeB))")
        }
        let bias = attributes.beta != 0 ? c : nil
        if let bias, !isUnidirectionallyBroadcastable(bias.shape, to: [m, n]) {
            throw mismatch(node, "Gemm", "C \(bias.shape) does not broadcast to [\(m), \(n)]")
        }
        return a.storage.withUnsafeBufferPointer { bufferA in
            b.storage.withUnsafeBufferPointer { bufferB in
                makeTensor(shape: [m, n]) { output in
                    guard let out = output.baseAddress else { return }
                    if let bias {
                        fillBroadcast(bias, scaledBy: attributes.beta, rows: m, columns: n, into: out)
                    } else {
                        out.update(repeating: 0, count: m * n)
                    }
                    guard let x = bufferA.baseAddress, let y = bufferB.baseAddress else { return }
                    if let packedB, packedB.n == n, packedB.k == k {
                        GEMM.multiply(
                            m: m, alpha: attributes.alpha, a: x, transposeA: attributes.transposeA, packedB: packedB,
                            beta: 1, c: out)
                        return
                    }
                    GEMM.multiply(
                        m: m, n: n, k: k, alpha: attributes.alpha, a: x, transposeA: attributes.transposeA,
                        b: y, transposeB: attributes.transposeB, beta: 1, c: out)
                }
            }
        }
    }

    /// Writes `scale · bias` broadcast to `[rows, columns]` into `out`.
    private static func fillBroadcast(
        _ bias: Tensor, scaledBy scale: Float, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let strides = broadcastStrides(of: bias.shape, to: [rows, columns])
        if strides[0] == 0, strides[1] == 1, rows > 0 {
            // A bias row (the usual `[N]`): scale it once, then copy it into every row.
            bias.storage.withUnsafeBufferPointer { values in
                for j in 0..<columns { out[j] = scale * values[j] }
            }
            for i in 1..<rows { (out + i * columns).update(from: out, count: columns) }
            return
        }
        bias.storage.withUnsafeBufferPointer { values in
            for i in 0..<rows {
                for j in 0..<columns {
                    out[i * columns + j] = scale * values[i * strides[0] + j * strides[1]]
                }
            }
        }
    }

    /// NumPy `matmul`: 1-D operands are promoted (and the added axis removed), leading
    /// "batch" axes broadcast, and each batch is one `[M, K] · [K, N]` product.
    ///
    /// `[B, M, K] · [K, N]` runs as a single `[B·M, K] · [K, N]` product.
    /// - Throws: `GraphError.shapeMismatch` for scalars, unequal `K` or batch axes that do not broadcast.
    static func matMul(_ a: Tensor, _ b: Tensor, node: String = "") throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1 else {
            throw mismatch(node, "MatMul", "operands must have rank ≥ 1, got \(a.shape) and \(b.shape)")
        }
        let shapeA = a.rank == 1 ? [1] + a.shape : a.shape  // [..., M, K]
        let shapeB = b.rank == 1 ? b.shape + [1] : b.shape  // [..., K, N]
        let m = shapeA[shapeA.count - 2], k = shapeA[shapeA.count - 1]
        let kOfB = shapeB[shapeB.count - 2], n = shapeB[shapeB.count - 1]
        guard k == kOfB else {
            throw mismatch(node, "MatMul", "inner dimensions differ: \(a.shape) · \(b.shape)")
        }
        let batchA = Array(shapeA.dropLast(2)), batchB = Array(shapeB.dropLast(2))
        guard let batch = broadcastShape(batchA, batchB) else {
            throw mismatch(node, "MatMul", "batch axes \(batchA) and \(batchB) do not broadcast")
        }
        var outputShape = batch
        if a.rank > 1 { outputShape.append(m) }
        if b.rank > 1 { outputShape.append(n) }
        let batchCount = Tensor.elementCount(of: batch)
        let countA = Tensor.elementCount(of: batchA), countB = Tensor.elementCount(of: batchB)
        let stridesA = broadcastStrides(of: batchA, to: batch)  // in matrices
        let stridesB = broadcastStrides(of: batchB, to: batch)
        return a.storage.withUnsafeBufferPointer { bufferA in
            b.storage.withUnsafeBufferPointer { bufferB in
                makeTensor(shape: outputShape) { output in
                    guard let out = output.baseAddress else { return }
                    guard let x = bufferA.baseAddress, let y = bufferB.baseAddress, k > 0 else {
                        out.update(repeating: 0, count: output.count)
                        return
                    }
                    if countB == 1, countA == batchCount {
                        // B is one matrix: fold every batch of A into the rows of one product.
                        GEMM.multiply(m: batchCount * m, n: n, k: k, a: x, b: y, c: out)
                        return
                    }
                    var index = [Int](repeating: 0, count: batch.count)
                    for flat in 0..<batchCount {
                        var remainder = flat, offsetA = 0, offsetB = 0
                        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                            index[axis] = remainder % batch[axis]
                            remainder /= batch[axis]
                            offsetA += index[axis] * stridesA[axis]
                            offsetB += index[axis] * stridesB[axis]
                        }
                        GEMM.multiply(
                            m: m, n: n, k: k, a: x + offsetA * m * k, b: y + offsetB * k * n, c: out + flat * m * n)
                    }
                }
            }
        }
    }
}
