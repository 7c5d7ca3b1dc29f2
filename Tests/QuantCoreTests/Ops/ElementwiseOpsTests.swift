import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct ElementwiseOpsTests {
    typealias H = OpsTestHelpers

    @Test func addBroadcastsRow() throws {
        // [[1, 2], [3, 4]] + [10, 20] = [[1+10, 2+20], [3+10, 4+20]]
        let result = try Ops.arithmetic(.add, H.tensor([2, 2], [1, 2, 3, 4]), H.tensor([2], [10, 20]))
        #expect(result == H.tensor([2, 2], [11, 22, 13, 24]))
    }

    @Test func subBroadcastsBothWays() throws {
        // [[1], [2], [3]] − [[10, 20]]: every row i, column j is a[i] − b[j]
        // = [[1−10, 1−20], [2−10, 2−20], [3−10, 3−20]]
        let result = try Ops.arithmetic(.sub, H.tensor([3, 1], [1, 2, 3]), H.tensor([1, 2], [10, 20]))
        #expect(result == H.tensor([3, 2], [-9, -19, -8, -18, -7, -17]))
    }

    @Test func mulByScalar() throws {
        // [1, 2, 3] · 2 (rank 0) = [2, 4, 6]; scalar on the left too.
        #expect(try Ops.arithmetic(.mul, H.tensor([3], [1, 2, 3]), Tensor(scalar: 2)) == H.tensor([3], [2, 4, 6]))
        #expect(try Ops.arithmetic(.mul, Tensor(scalar: 2), H.tensor([3], [1, 2, 3])) == H.tensor([3], [2, 4, 6]))
    }

    @Test func divElementwiseAndByZero() throws {
        // [1, 2, 3, 4] / [2, 4, 8, 16] = [0.5, 0.5, 0.375, 0.25]; 1 / 0 = +inf (IEEE, as ONNX)
        let result = try Ops.arithmetic(.div, H.tensor([4], [1, 2, 3, 4]), H.tensor([4], [2, 4, 8, 16]))
        #expect(result == H.tensor([4], [0.5, 0.5, 0.375, 0.25]))
        #expect(try Ops.arithmetic(.div, Tensor(scalar: 1), Tensor(scalar: 0)).storage == [.infinity])
    }

    @Test func channelBiasOnImages() throws {
        // [N=1, C=2, H=1, W=2] + [1, 2, 1, 1]: channel 0 gets +10, channel 1 gets +100.
        let x = H.tensor([1, 2, 1, 2], [1, 2, 3, 4])
        let result = try Ops.arithmetic(.add, x, H.tensor([1, 2, 1, 1], [10, 100]))
        #expect(result == H.tensor([1, 2, 1, 2], [11, 12, 103, 104]))
    }

    @Test func broadcastShapes() {
        #expect(Ops.broadcastShape([2, 3, 4], [3, 1]) == [2, 3, 4])
        #expect(Ops.broadcastShape([1], [2, 3]) == [2, 3])
        #expect(Ops.broadcastShape([], [2]) == [2])
        #expect(Ops.broadcastShape([4, 1, 3, 1], [2, 1, 5]) == [4, 2, 3, 5])
        #expect(Ops.broadcastShape([2], [3]) == nil)
        #expect(Ops.broadcastShape([2, 0], [1]) == [2, 0])
    }

    static let shapePairs: [([Int], [Int])] = [
        ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 1, 4], [3, 1]), ([1], [2, 3]), ([], [2, 2]),
        ([4, 1, 3, 1], [2, 1, 5]), ([2, 3], [2, 3]), ([2, 3, 4, 5], [1, 3, 1, 1]), ([3, 1, 5], [3, 4, 1]),
        ([1, 1], [1]), ([2, 0, 3], [3]),
    ]

    @Test(arguments: shapePairs)
    func broadcastingMatchesReference(shapeA: [Int], shapeB: [Int]) throws {
        let a = H.random(shapeA, seed: 1), b = H.random(shapeB, seed: 2)
        for operation in [Ops.Arithmetic.add, .sub, .mul, .div] {
            let expected = try #require(Ops.arithmeticReference(operation, a, b))
            H.expectClose(try Ops.arithmetic(operation, a, b), expected, rtol: 0, atol: 0)
            // Swapped operands exercise the other broadcast direction.
            let swapped = try #require(Ops.arithmeticReference(operation, b, a))
            H.expectClose(try Ops.arithmetic(operation, b, a), swapped, rtol: 0, atol: 0)
        }
    }

    @Test func incompatibleShapesNameTheNode() {
        let error = H.graphError {
            _ = try Ops.arithmetic(.add, H.tensor([2], [1, 2]), H.tensor([3], [1, 2, 3]), node: "sum")
        }
        #expect(H.mismatchNode(error) == "sum")
    }
}
