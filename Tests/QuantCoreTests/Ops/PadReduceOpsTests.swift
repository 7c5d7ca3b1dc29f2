import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct PadReduceOpsTests {
    typealias H = OpsTestHelpers

    @Test func padModesByHand() throws {
        // [1, 2, 3] padded by (2, 1):
        let x = H.tensor([3], [1, 2, 3])
        let pads = H.tensor([2], [2, 1])
        #expect(try Ops.pad(x, pads: pads, value: 9, mode: .constant) == H.tensor([6], [9, 9, 1, 2, 3, 9]))
        #expect(try Ops.pad(x, pads: pads, mode: .reflect) == H.tensor([6], [3, 2, 1, 2, 3, 2]))
        #expect(try Ops.pad(x, pads: pads, mode: .edge) == H.tensor([6], [1, 1, 1, 2, 3, 3]))
    }

    @Test func padTwoAxesLikeConstantPad2d() throws {
        // [[1, 2], [3, 4]] with pads [1, 0, 0, 1] (top 1, right 1), value 0:
        // [[0, 0, 0], [1, 2, 0], [3, 4, 0]]
        let x = H.tensor([2, 2], [1, 2, 3, 4])
        let y = try Ops.pad(x, pads: H.tensor([4], [1, 0, 0, 1]), mode: .constant)
        #expect(y == H.tensor([3, 3], [0, 0, 0, 1, 2, 0, 3, 4, 0]))
        // Reflect on both axes by 1 at the start: rows [2nd, 1st, 2nd], columns likewise.
        let r = try Ops.pad(x, pads: H.tensor([4], [1, 1, 0, 0]), mode: .reflect)
        #expect(r == H.tensor([3, 3], [4, 3, 4, 2, 1, 2, 4, 3, 4]))
    }

    @Test func padWithAxesAndNegativeAmounts() throws {
        let x = H.tensor([2, 3], [1, 2, 3, 4, 5, 6])
        // Only axis −1, (1, 0) edge: each row gains its first element in front.
        let y = try Ops.pad(x, pads: H.tensor([2], [1, 0]), axes: H.tensor([1], [-1]), mode: .edge)
        #expect(y == H.tensor([2, 4], [1, 1, 2, 3, 4, 4, 5, 6]))
        // Negative pads crop: axis 1 by (−1, −1) keeps the middle column.
        #expect(try Ops.pad(x, pads: H.tensor([4], [0, -1, 0, -1]), mode: .constant) == H.tensor([2, 1], [2, 5]))
        // Reflecting further than the extent keeps bouncing between the borders (NumPy):
        // [1, 2] padded by 3 in front → [2, 1, 2, 1, 2]
        #expect(
            try Ops.pad(H.tensor([2], [1, 2]), pads: H.tensor([2], [3, 0]), mode: .reflect)
                == H.tensor([5], [2, 1, 2, 1, 2]))
        #expect(
            try Ops.pad(H.tensor([1], [7]), pads: H.tensor([2], [1, 1]), mode: .reflect) == H.tensor([3], [7, 7, 7]))
    }

    @Test func padErrors() {
        let x = H.tensor([2, 2], [1, 2, 3, 4])
        let cases: [(Tensor, Tensor?, PadMode, Tensor)] = [
            (H.tensor([2], [1, 1]), nil, .constant, x),  // 2 entries for 2 axes need 4
            (H.tensor([4], [0, -3, 0, 0]), nil, .constant, x),  // crops axis 1 below 0
            (H.tensor([2], [1, 0]), H.tensor([1], [2]), .constant, x),  // axis 2 out of range
            (H.tensor([4], [1, 0, 0, 0]), H.tensor([2], [0, 0]), .constant, x),  // axis listed twice
            (H.tensor([2], [1, 0]), nil, .edge, Tensor(shape: [0])),  // nothing to repeat
        ]
        for (pads, axes, mode, input) in cases {
            let error = H.graphError { _ = try Ops.pad(input, pads: pads, axes: axes, mode: mode, node: "pad") }
            #expect(H.mismatchNode(error) == "pad", "\(pads.storage)")
        }
    }

    @Test func reduceMeanByHand() throws {
        // [[1, 2], [3, 5]]: axis 1 → [1.5, 4]; axis 0 → [2, 3.5]; all → 11/4 = 2.75
        let x = H.tensor([2, 2], [1, 2, 3, 5])
        #expect(try Ops.reduceMean(x, axes: [1], keepDims: false) == H.tensor([2], [1.5, 4]))
        #expect(try Ops.reduceMean(x, axes: [-1], keepDims: true) == H.tensor([2, 1], [1.5, 4]))
        #expect(try Ops.reduceMean(x, axes: [0], keepDims: true) == H.tensor([1, 2], [2, 3.5]))
        #expect(try Ops.reduceMean(x, axes: [], keepDims: false) == Tensor(scalar: 2.75))
        #expect(try Ops.reduceMean(x, axes: [], keepDims: true) == H.tensor([1, 1], [2.75]))
        #expect(try Ops.reduceMean(x, axes: [0, 1], keepDims: false) == Tensor(scalar: 2.75))
    }

    @Test func reduceMeanOverSpatialAxesIsGlobalAveragePool() throws {
        // torch.mean(x, dim=(2, 3), keepdim=True) exports as ReduceMean; it equals GlobalAveragePool.
        let x = H.random([2, 3, 4, 5], seed: 41)
        let mean = try Ops.reduceMean(x, axes: [2, 3], keepDims: true)
        H.expectClose(mean, try Ops.globalPool(.average, x), rtol: 1e-6, atol: 1e-7)
        // Middle axis of [2, 3, 2]: element (i, k) is the mean of x[i, 0..<3, k].
        let cube = H.tensor([2, 3, 2], (0..<12).map { Float($0) })
        #expect(try Ops.reduceMean(cube, axes: [1], keepDims: false) == H.tensor([2, 2], [2, 3, 8, 9]))
    }

    @Test func reduceMeanErrors() {
        let x = H.tensor([2, 2], [1, 2, 3, 5])
        #expect(
            H.mismatchNode(H.graphError { _ = try Ops.reduceMean(x, axes: [2], keepDims: true, node: "rm") }) == "rm")
        #expect(
            H.mismatchNode(H.graphError { _ = try Ops.reduceMean(x, axes: [1, -1], keepDims: true, node: "rm") })
                == "rm")
    }
}
