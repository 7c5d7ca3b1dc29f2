/// Gemm and MatMul.
extension Backward {
    /// Gemm `Y = α·op(A)·op(B) + β·C`: `dA = α·dY·op(B)ᵀ`, `dB = α·op(A)ᵀ·dY` (transposed back
    /// where the operand is stored transposed), `dC = β·dY` summed over C's broadcast axes.
    static func gemm(_ context: BackwardContext, _ attributes: GemmAttributes) throws -> [Tensor?] {
        let a = try context.input(0), b = try context.input(1), gradient = try context.gradient()
        guard a.rank == 2, b.rank == 2, gradient.rank == 2 else {
            throw GraphError.shapeMismatch(node: context.name, op: "Gemm", detail: "A and B must be 2-D")
        }
        let (m, n) = (gradient.shape[0], gradient.shape[1])
        let k = attributes.transposeA ? a.shape[0] : a.shape[1]
        var dA = [Float](repeating: 0, count: m * k)  // d op(A), [m×k]
        multiply(
            gradient.storage[...], b.storage[...], m: m, n: k, k: n, transposeA: false,
            transposeB: !attributes.transposeB, scale: attributes.alpha, into: &dA)
        var dB = [Float](repeating: 0, count: k * n)  // d op(B), [k×n]
        multiply(
            a.storage[...], gradient.storage[...], m: k, n: n, k: m, transposeA: !attributes.transposeA,
            transposeB: false, scale: attributes.alpha, into: &dB)
        var result: [Tensor?] = [
            attributes.transposeA ? transposed(dA, rows: m, columns: k) : Tensor(shape: [m, k], storage: dA),
            attributes.transposeB ? transposed(dB, rows: k, columns: n) : Tensor(shape: [k, n], storage: dB),
        ]
        if context.inputs.count > 2, let c = context.inputs[2] {
            var dC = reduce(gradient, to: c.shape)
            for index in dC.storage.indices { dC.storage[index] *= attributes.beta }
            result.append(dC)
        }
        return result
    }

    /// `[rows×columns]` storage transposed into a `[columns, rows]` tensor.
    static func transposed(_ values: [Float], rows: Int, columns: Int) -> Tensor {
        var result = [Float](repeating: 0, count: values.count)
        for row in 0..<rows {
            for column in 0..<columns { result[column * rows + row] = values[row * columns + column] }
        }
        return Tensor(shape: [columns, rows], storage: result)
    }

    /// MatMul with NumPy semantics (1-D operands promoted, batch axes broadcast): per batch
    /// `dA = dY·Bᵀ`, `dB = Aᵀ·dY`, summed over the batches an operand was broadcast to.
    static func matMul(_ context: BackwardContext) throws -> [Tensor?] {
        let a = try context.input(0), b = try context.input(1), gradient = try context.gradient()
        guard a.rank >= 1, b.rank >= 1 else {
            throw GraphError.shapeMismatch(node: context.name, op: "MatMul", detail: "scalar operand")
        }
        let shapeA = a.rank == 1 ? [1] + a.shape : a.shape
        let shapeB = b.rank == 1 ? b.shape + [1] : b.shape
        let (m, k, n) = (shapeA[shapeA.count - 2], shapeA[shapeA.count - 1], shapeB[shapeB.count - 1])
        let batchA = Array(shapeA.dropLast(2)), batchB = Array(shapeB.dropLast(2))
        let rank = max(batchA.count, batchB.count)
        let paddedA = [Int](repeating: 1, count: rank - batchA.count) + batchA
        let paddedB = [Int](repeating: 1, count: rank - batchB.count) + batchB
        let batch = zip(paddedA, paddedB).map { Swift.max($0, $1) }
        let offsetsA = broadcastOffsets(from: batchA, to: batch), offsetsB = broadcastOffsets(from: batchB, to: batch)
        guard gradient.storage.count == offsetsA.count * m * n else {
            throw GraphError.shapeMismatch(
                node: context.name, op: "MatMul",
                detail: "gradient \(gradient.shape) does not fit \(a.shape)·\(b.shape)")
        }
        var dA = [Float](repeating: 0, count: a.storage.count), dB = [Float](repeating: 0, count: b.storage.count)
        for index in offsetsA.indices {
            let slice = gradient.storage[(index * m * n)..<((index + 1) * m * n)]
            let (startA, startB) = (offsetsA[index] * m * k, offsetsB[index] * k * n)
            let blockA = a.storage[startA..<(startA + m * k)], blockB = b.storage[startB..<(startB + k * n)]
            multiply(slice, blockB, m: m, n: k, k: n, transposeA: false, transposeB: true, into: &dA, at: startA)
            multiply(blockA, slice, m: k, n: n, k: m, transposeA: true, transposeB: false, into: &dB, at: startB)
        }
        return [Tensor(shape: a.shape, storage: dA), Tensor(shape: b.shape, storage: dB)]
    }
}
