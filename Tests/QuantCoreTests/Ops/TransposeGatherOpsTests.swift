import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct TransposeGatherOpsTests {
    typealias H = OpsTestHelpers

    @Test func transposeByHand() throws {
        // [[1, 2, 3], [4, 5, 6]] with perm [1, 0] (and the default, reversed axes) → [[1, 4], [2, 5], [3, 6]]
        let x = H.tensor([2, 3], [1, 2, 3, 4, 5, 6])
        #expect(try Ops.transpose(x, permutation: [1, 0]) == H.tensor([3, 2], [1, 4, 2, 5, 3, 6]))
        #expect(try Ops.transpose(x, permutation: []) == H.tensor([3, 2], [1, 4, 2, 5, 3, 6]))
        #expect(try Ops.transpose(x, permutation: [0, 1]) == x)
        // [1, 2, 2] → perm [2, 0, 1]: y[k][0][i] = x[0][i][k]: [[a, b], [c, d]] → [[[a, c]], [[b, d]]]
        let cube = H.tensor([1, 2, 2], [1, 2, 3, 4])
        #expect(try Ops.transpose(cube, permutation: [2, 0, 1]) == H.tensor([2, 1, 2], [1, 3, 2, 4]))
        #expect(try Ops.transpose(Tensor(scalar: 7), permutation: []) == Tensor(scalar: 7))
        #expect(try Ops.transpose(Tensor(shape: [0, 3]), permutation: [1, 0]).shape == [3, 0])
    }

    static let permutations: [[Int]] = [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 3, 2], [2, 3, 0, 1], []]

    @Test(arguments: permutations)
    func transposeMatchesItsReference(permutation: [Int]) throws {
        let x = H.random([2, 3, 4, 5], seed: 31)
        #expect(try Ops.transpose(x, permutation: permutation) == Ops.transposeReference(x, permutation: permutation))
    }

    @Test func transposeRejectsABadPermutation() {
        let x = H.random([2, 3], seed: 32)
        for permutation in [[0], [0, 0], [1, 2], [0, 1, 2]] {
            #expect(
                H.mismatchNode(H.graphError { _ = try Ops.transpose(x, permutation: permutation, node: "t") }) == "t")
        }
    }

    @Test func gatherByHand() throws {
        let data = H.tensor([3, 2], [1, 2, 3, 4, 5, 6])
        // Embedding lookup: rows [0, 2] of a [3, 2] table, indices [1, 2] → [1, 2, 2]
        #expect(
            try Ops.gather(data, indices: H.tensor([1, 2], [0, 2]), axis: 0) == H.tensor([1, 2, 2], [1, 2, 5, 6]))
        // Axis 1 with indices [1, −2] (= 0): columns swapped → [[2, 1], [4, 3], [6, 5]]
        #expect(
            try Ops.gather(data, indices: H.tensor([2], [1, -2]), axis: 1) == H.tensor([3, 2], [2, 1, 4, 3, 6, 5]))
        // A scalar index removes the axis: shape [2, 3, 4] at index 1 → 3.
        #expect(try Ops.gather(H.tensor([3], [2, 3, 4]), indices: Tensor(scalar: 1), axis: 0) == Tensor(scalar: 3))
        #expect(try Ops.gather(data, indices: Tensor(scalar: 2), axis: -2) == H.tensor([2], [5, 6]))
    }

    @Test func gatherRejectsBadIndices() {
        let data = H.tensor([3, 2], [1, 2, 3, 4, 5, 6])
        for index: Float in [3, -4, 0.5] {
            #expect(
                H.mismatchNode(
                    H.graphError { _ = try Ops.gather(data, indices: Tensor(scalar: index), axis: 0, node: "g") })
                    == "g")
        }
        #expect(
            H.mismatchNode(H.graphError { _ = try Ops.gather(data, indices: Tensor(scalar: 0), axis: 2, node: "g") })
                == "g")
        #expect(
            H.mismatchNode(
                H.graphError { _ = try Ops.gather(Tensor(scalar: 1), indices: Tensor(scalar: 0), axis: 0, node: "g") })
                == "g")
    }
}
