import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct ActivationOpsTests {
    typealias H = OpsTestHelpers

    @Test func relu() {
        // max(x, 0): [−2, −0.5, 0, 3] → [0, 0, 0, 3]
        var x = H.tensor([4], [-2, -0.5, 0, 3])
        Ops.relu(&x)
        #expect(x.storage == [0, 0, 0, 3])
    }

    @Test func clipWithBothAndOneBound() {
        // clip to [−1, 2]: [−3, −1, 0.5, 2, 7] → [−1, −1, 0.5, 2, 2]
        var x = H.tensor([5], [-3, -1, 0.5, 2, 7])
        Ops.clip(&x, minimum: -1, maximum: 2)
        #expect(x.storage == [-1, -1, 0.5, 2, 2])
        // only a minimum of 0 (ReLU): [−3, 7] → [0, 7]
        var y = H.tensor([2], [-3, 7])
        Ops.clip(&y, minimum: 0, maximum: nil)
        #expect(y.storage == [0, 7])
        // min > max: everything becomes max (ONNX): [−3, 7] with [5, 1] → [1, 1]
        var z = H.tensor([2], [-3, 7])
        Ops.clip(&z, minimum: 5, maximum: 1)
        #expect(z.storage == [1, 1])
    }

    @Test func leakyRelu() {
        // alpha 0.1: [−10, −1, 0, 4] → [−1, −0.1, 0, 4]
        var x = H.tensor([4], [-10, -1, 0, 4])
        Ops.leakyRelu(&x, alpha: 0.1)
        #expect(x.storage == [-1, -0.1, 0, 4])
    }

    @Test func sigmoid() {
        // σ(0) = 1/(1+1) = 0.5; σ(ln 3) = 1/(1 + 1/3) = 0.75; σ(−ln 3) = 0.25;
        // σ(±100) saturates to 1 and 0 without overflow.
        var x = H.tensor([5], [0, Float(log(3.0)), -Float(log(3.0)), 100, -100])
        Ops.sigmoid(&x)
        H.expectClose(x, H.tensor([5], [0.5, 0.75, 0.25, 1, 0]), rtol: 1e-6, atol: 1e-6)
    }

    @Test func tanh() {
        // tanh(0) = 0; tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6; odd function
        var x = H.tensor([3], [0, Float(log(2.0)), -Float(log(2.0))])
        Ops.tanh(&x)
        H.expectClose(x, H.tensor([3], [0, 0.6, -0.6]), rtol: 1e-6, atol: 1e-6)
    }

    @Test func softmaxLastAxis() throws {
        // x = [0, ln 2, ln 3] → exp = [1, 2, 3], sum 6 → [1/6, 2/6, 3/6]
        let row: [Float] = [0, Float(log(2.0)), Float(log(3.0))]
        // Second row: equal large logits [1000, 1000, 1000] must not overflow → [1/3, 1/3, 1/3]
        var x = H.tensor([2, 3], row + [1000, 1000, 1000])
        try Ops.softmax(&x, axis: -1)
        let expected: [Float] = [1.0 / 6, 2.0 / 6, 3.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3]
        H.expectClose(x, H.tensor([2, 3], expected), rtol: 1e-5, atol: 1e-6)
    }

    @Test func softmaxOverAnInnerAxis() throws {
        // [2, 2] along axis 0 (columns): column 0 = [0, ln 3] → [1/4, 3/4]; column 1 = [5, 5] → [1/2, 1/2]
        var x = H.tensor([2, 2], [0, 5, Float(log(3.0)), 5])
        try Ops.softmax(&x, axis: 0)
        H.expectClose(x, H.tensor([2, 2], [0.25, 0.5, 0.75, 0.5]), rtol: 1e-6, atol: 1e-6)
    }

    @Test func logSoftmax() throws {
        // log softmax([0, ln 2, ln 3]) = [ln(1/6), ln(2/6), ln(3/6)]
        var x = H.tensor([1, 3], [0, Float(log(2.0)), Float(log(3.0))])
        try Ops.logSoftmax(&x, axis: 1)
        H.expectClose(
            x, H.tensor([1, 3], [Float(log(1.0 / 6)), Float(log(2.0 / 6)), Float(log(0.5))]), rtol: 1e-6, atol: 1e-6)
        // Large logits stay finite: [1000, 1000] → [−ln 2, −ln 2]
        var large = H.tensor([2], [1000, 1000])
        try Ops.logSoftmax(&large, axis: 0)
        H.expectClose(large, H.tensor([2], [-Float(log(2.0)), -Float(log(2.0))]), rtol: 1e-6, atol: 1e-6)
    }

    @Test func softmaxAxisOutOfRange() {
        var x = H.tensor([2, 2], [1, 2, 3, 4])
        #expect(H.mismatchNode(H.graphError { try Ops.softmax(&x, axis: 2, node: "sm") }) == "sm")
        #expect(H.mismatchNode(H.graphError { try Ops.logSoftmax(&x, axis: -3, node: "lsm") }) == "lsm")
    }

    @Test func flattenedSoftmaxNormalizesTrailingAxesTogether() throws {
        // [2, 2] at axis 0 is one row of four: [0, ln 3, ln 2, ln 2] → exp [1, 3, 2, 2] / 8.
        var x = H.tensor([2, 2], [0, Float(log(3.0)), Float(log(2.0)), Float(log(2.0))])
        try Ops.flattenedSoftmax(&x, axis: 0)
        H.expectClose(x, H.tensor([2, 2], [0.125, 0.375, 0.25, 0.25]), rtol: 1e-6, atol: 1e-6)
        // [2, 1, 2] at axis 1 (the pre-13 default): rows [0, ln 3] and [1000, 1000] → [1/4, 3/4], [1/2, 1/2].
        var y = H.tensor([2, 1, 2], [0, Float(log(3.0)), 1000, 1000])
        try Ops.flattenedSoftmax(&y, axis: 1)
        H.expectClose(y, H.tensor([2, 1, 2], [0.25, 0.75, 0.5, 0.5]), rtol: 1e-6, atol: 1e-6)
        // The log form: log(1/8), log(3/8), log(2/8), log(2/8); negative axes count from the end.
        var z = H.tensor([2, 2], [0, Float(log(3.0)), Float(log(2.0)), Float(log(2.0))])
        try Ops.flattenedLogSoftmax(&z, axis: -2)
        let logs: [Float] = [0.125, 0.375, 0.25, 0.25].map { Float(log(Double($0))) }
        H.expectClose(z, H.tensor([2, 2], logs), rtol: 1e-6, atol: 1e-6)
        #expect(H.mismatchNode(H.graphError { try Ops.flattenedSoftmax(&z, axis: 2, node: "old") }) == "old")
    }

    @Test func flattenedSoftmaxOnTheLastAxisIsTheSingleAxisSoftmax() throws {
        let x = H.random([2, 3, 4], seed: 11)
        var flattened = x, single = x
        try Ops.flattenedSoftmax(&flattened, axis: 2)
        try Ops.softmax(&single, axis: -1)
        #expect(flattened == single)
    }

    @Test func softplus() {
        // log(1 + e^0) = ln 2; log(1 + e^ln 3) = ln 4; log(1 + e^−ln 3) = ln(4/3);
        // ±100: 100 and e^−100 ≈ 3.72e−44 (no overflow, no cancellation to 0).
        var x = H.tensor([5], [0, Float(log(3.0)), -Float(log(3.0)), 100, -100])
        Ops.softplus(&x)
        let expected: [Float] = [Float(log(2.0)), Float(log(4.0)), Float(log(4.0 / 3)), 100, Float(exp(-100.0))]
        H.expectClose(x, H.tensor([5], expected), rtol: 1e-6, atol: 0)
    }

    @Test func preluPerChannelAndShared() throws {
        // X [1, 2, 2] with slope [2, 1]: channel 0 slope 0.1, channel 1 slope 0.5.
        // [[−10, 4], [−2, −6]] → [[−1, 4], [−1, −3]]
        let x = H.tensor([1, 2, 2], [-10, 4, -2, -6])
        #expect(try Ops.prelu(x, slope: H.tensor([2, 1], [0.1, 0.5])) == H.tensor([1, 2, 2], [-1, 4, -1, -3]))
        // One shared slope 0.25: [−10, 4, −2, −6] → [−2.5, 4, −0.5, −1.5]
        #expect(try Ops.prelu(x, slope: Tensor(scalar: 0.25)) == H.tensor([1, 2, 2], [-2.5, 4, -0.5, -1.5]))
        // The slope may not grow X: [2, 1] against [2] would make [2, 2].
        let short = H.tensor([2], [1, -1]), tall = H.tensor([2, 1], [1, 2])
        #expect(H.mismatchNode(H.graphError { _ = try Ops.prelu(short, slope: tall, node: "pr") }) == "pr")
    }

    static let preluSlopeShapes: [[Int]] = [[1], [4], [3, 1, 1], [1, 3, 1, 4], [2, 3, 5, 4]]

    @Test(arguments: preluSlopeShapes)
    func preluMatchesItsReference(slopeShape: [Int]) throws {
        let x = H.random([2, 3, 5, 4], seed: 21)
        let slope = H.random(slopeShape, seed: 22)
        #expect(try Ops.prelu(x, slope: slope) == Ops.preluReference(x, slope: slope))
    }

    @Test func eluAndSelu() {
        // Elu, alpha 1: e^x − 1 below 0: [−∞, −ln 2, 0, 2] → [−1, −0.5, 0, 2];
        // alpha 2 doubles the negative side.
        var x = H.tensor([4], [-.infinity, -Float(log(2.0)), 0, 2])
        Ops.exponentialLinear(&x, alpha: 1)
        H.expectClose(x, H.tensor([4], [-1, -0.5, 0, 2]), rtol: 1e-6, atol: 1e-7)
        var doubled = H.tensor([2], [-Float(log(2.0)), 3])
        Ops.exponentialLinear(&doubled, alpha: 2)
        H.expectClose(doubled, H.tensor([2], [-1, 3]), rtol: 1e-6, atol: 1e-7)
        // Selu with ONNX's constants: 1 → gamma = 1.0507010;
        // −ln 2 → −gamma · alpha / 2 = −1.7580993 / 2 = −0.8790497.
        var y = H.tensor([3], [1, -Float(log(2.0)), 0])
        Ops.exponentialLinear(&y, alpha: Operator.seluAlpha, gamma: Operator.seluGamma)
        H.expectClose(y, H.tensor([3], [1.050_701_0, -0.879_049_7, 0]), rtol: 1e-6, atol: 1e-7)
    }
}
