import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct MatMulOpsTests {
    typealias H = OpsTestHelpers

    @Test func gemmHandComputed() throws {
        // A = [[1, 2, 3], [4, 5, 6]], B = [[1, 0], [0, 1], [1, 1]]
        // A·B = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]
        // alpha 2 → [[8, 10], [20, 22]];  beta 0.5 · C[2] = 0.5 · [1, 2] = [0.5, 1] per row
        // Y = [[8.5, 11], [20.5, 23]]
        let y = try Ops.gemm(
            H.tensor([2, 3], [1, 2, 3, 4, 5, 6]), H.tensor([3, 2], [1, 0, 0, 1, 1, 1]), H.tensor([2], [1, 2]),
            attributes: GemmAttributes(alpha: 2, beta: 0.5))
        #expect(y == H.tensor([2, 2], [8.5, 11, 20.5, 23]))
    }

    @Test func gemmTransposedWeightLikeLinear() throws {
        // W [out 2, in 3] = [[1, 0, 1], [0, 1, 0]] with transB: y = x · Wᵀ + b
        // x = [1, 2, 3] → [1+3, 2] + [10, 20] = [14, 22]
        let y = try Ops.gemm(
            H.tensor([1, 3], [1, 2, 3]), H.tensor([2, 3], [1, 0, 1, 0, 1, 0]), H.tensor([2], [10, 20]),
            attributes: GemmAttributes(transposeB: true))
        #expect(y == H.tensor([1, 2], [14, 22]))
    }

    static let biasShapes: [[Int]?] = [nil, [], [1], [5], [1, 5], [4, 1], [4, 5]]

    @Test(arguments: [false, true], [false, true])
    func gemmMatchesReference(transposeA: Bool, transposeB: Bool) throws {
        let m = 4, n = 5, k = 3
        let a = H.random(transposeA ? [k, m] : [m, k], seed: 3)
        let b = H.random(transposeB ? [n, k] : [k, n], seed: 4)
        for biasShape in Self.biasShapes {
            let c = biasShape.map { H.random($0, seed: 5) }
            let attributes = GemmAttributes(alpha: 0.75, beta: 1.5, transposeA: transposeA, transposeB: transposeB)
            let y = try Ops.gemm(a, b, c, attributes: attributes)
            // Reference: the plain GEMM on C broadcast to [M, N] by hand.
            var fullC = [Float](repeating: 0, count: m * n)
            if let c {
                let broadcast = try Ops.arithmetic(.add, Tensor(shape: [m, n]), c)
                fullC = broadcast.storage
            }
            let expected = GEMM.reference(
                m: m, n: n, k: k, alpha: 0.75, a: a.storage, transposeA: transposeA, b: b.storage,
                transposeB: transposeB, beta: c == nil ? 0 : 1.5, c: fullC)
            H.expectClose(y, H.tensor([m, n], expected))
        }
    }

    @Test func gemmShapeErrors() {
        let attributes = GemmAttributes()
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.gemm(
                        H.random([2, 3], seed: 1), H.random([4, 2], seed: 2), nil, attributes: attributes, node: "fc")
                }) == "fc")
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.gemm(
                        H.random([2, 3], seed: 1), H.random([3, 2], seed: 2), H.random([3], seed: 3),
                        attributes: attributes, node: "fc")
                }) == "fc")
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.gemm(
                        H.random([2, 3, 1], seed: 1), H.random([3, 2], seed: 2), nil, attributes: attributes, node: "fc"
                    )
                }) == "fc")
    }

    @Test func matMulHandComputed() throws {
        // [[1, 2], [3, 4]] · [[5, 6], [7, 8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19, 22], [43, 50]]
        let square = try Ops.matMul(H.tensor([2, 2], [1, 2, 3, 4]), H.tensor([2, 2], [5, 6, 7, 8]))
        #expect(square == H.tensor([2, 2], [19, 22, 43, 50]))
        // vector · matrix: [1, 2] · [[1, 2], [3, 4]] = [1+6, 2+8] = [7, 10], shape [2]
        #expect(try Ops.matMul(H.tensor([2], [1, 2]), H.tensor([2, 2], [1, 2, 3, 4])) == H.tensor([2], [7, 10]))
        // matrix · vector: [[1, 2], [3, 4]] · [1, 1] = [3, 7], shape [2]
        #expect(try Ops.matMul(H.tensor([2, 2], [1, 2, 3, 4]), H.tensor([2], [1, 1])) == H.tensor([2], [3, 7]))
        // vector · vector: [1, 2, 3] · [4, 5, 6] = 4 + 10 + 18 = 32, a scalar
        #expect(try Ops.matMul(H.tensor([3], [1, 2, 3]), H.tensor([3], [4, 5, 6])) == Tensor(scalar: 32))
    }

    /// NumPy matmul by definition, for broadcasting batches.
    static func naiveMatMul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batch = try #require(Ops.broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))))
        let stridesA = Ops.broadcastStrides(of: Array(a.shape.dropLast(2)), to: batch)
        let stridesB = Ops.broadcastStrides(of: Array(b.shape.dropLast(2)), to: batch)
        var result = Tensor(shape: batch + [m, n])
        for flat in 0..<Tensor.elementCount(of: batch) {
            var remainder = flat, offsetA = 0, offsetB = 0
            for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                let index = remainder % batch[axis]
                remainder /= batch[axis]
                offsetA += index * stridesA[axis]
                offsetB += index * stridesB[axis]
            }
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k {
                        sum += a.storage[offsetA * m * k + i * k + p] * b.storage[offsetB * k * n + p * n + j]
                    }
                    result.storage[(flat * m + i) * n + j] = sum
                }
            }
        }
        return result
    }

    static let batchedShapes: [([Int], [Int])] = [
        ([2, 1, 2, 3], [3, 3, 2]), ([4, 2, 3], [3, 5]), ([3, 5], [2, 5, 4]), ([2, 3, 4], [2, 4, 2]),
        ([1, 2, 3], [4, 3, 2]),
    ]

    @Test(arguments: batchedShapes)
    func batchedMatMulMatchesDefinition(shapeA: [Int], shapeB: [Int]) throws {
        let a = H.random(shapeA, seed: 7), b = H.random(shapeB, seed: 8)
        H.expectClose(try Ops.matMul(a, b), try Self.naiveMatMul(a, b))
    }

    @Test func matMulShapeErrors() {
        #expect(
            H.mismatchNode(
                H.graphError { _ = try Ops.matMul(H.random([2, 3], seed: 1), H.random([2, 3], seed: 2), node: "mm") })
                == "mm")
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.matMul(H.random([2, 2, 3], seed: 1), H.random([3, 3, 2], seed: 2), node: "mm")
                }) == "mm")
        #expect(
            H.mismatchNode(H.graphError { _ = try Ops.matMul(Tensor(scalar: 1), H.random([3], seed: 2), node: "mm") })
                == "mm")
    }
}
