import QuantTestSupport
import Testing

@testable import QuantCore

/// One random convolution case for the fast-path-versus-reference sweep.
struct ConvolutionCase: Sendable, CustomTestStringConvertible {
    var label: String
    var batch = 2
    var channels: Int
    var outputs: Int
    var spatial: [Int]  // input extents, 1 or 2 entries
    var kernel: [Int]
    var attributes: ConvAttributes
    var hasBias = true

    var testDescription: String { label }
}

@Suite struct ConvolutionOpsTests {
    typealias H = OpsTestHelpers

    @Test func twoDimensionalHandComputed() throws {
        // X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], W = 2×2 ones, bias 1, no padding:
        // [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]] + 1 = [[13, 17], [25, 29]]
        let x = H.tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = H.tensor([1, 1, 2, 2], [1, 1, 1, 1])
        let y = try Ops.convolution(x, weight: w, bias: H.tensor([1], [1]), attributes: ConvAttributes())
        #expect(y == H.tensor([1, 1, 2, 2], [13, 17, 25, 29]))
    }

    @Test func paddedStridedHandComputed() throws {
        // Same X, 3×3 ones, pads 1, stride 2: out = ⌊(3 + 2 − 3) / 2⌋ + 1 = 2 per axis.
        // Window (0,0) covers rows/cols −1…1 → inside: rows 0–1, cols 0–1 = 1+2+4+5 = 12
        // (0,1): rows 0–1, cols 1–2 = 2+3+5+6 = 16; (1,0): 4+5+7+8 = 24; (1,1): 5+6+8+9 = 28
        let x = H.tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = Tensor(shape: [1, 1, 3, 3], repeating: 1)
        let attributes = ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1])
        #expect(
            try Ops.convolution(x, weight: w, bias: nil, attributes: attributes)
                == H.tensor([1, 1, 2, 2], [12, 16, 24, 28]))
    }

    @Test func oneDimensionalDilatedHandComputed() throws {
        // X = [1, 2, 3, 4, 5], W = [2, 1], dilation 2: y[i] = 2·x[i] + x[i+2]
        // = [2+3, 4+4, 6+5] = [5, 8, 11]  (out = 5 − (2−1)·2 = 3)
        let y = try Ops.convolution(
            H.tensor([1, 1, 5], [1, 2, 3, 4, 5]), weight: H.tensor([1, 1, 2], [2, 1]), bias: nil,
            attributes: ConvAttributes(dilations: [2]))
        #expect(y == H.tensor([1, 1, 3], [5, 8, 11]))
    }

    @Test func groupedHandComputed() throws {
        // Depthwise (group 2): channel 0 = [1, 2] · 10, channel 1 = [3, 4] · 100 → [10, 20], [300, 400]
        let y = try Ops.convolution(
            H.tensor([1, 2, 1, 2], [1, 2, 3, 4]), weight: H.tensor([2, 1, 1, 1], [10, 100]), bias: nil,
            attributes: ConvAttributes(group: 2))
        #expect(y == H.tensor([1, 2, 1, 2], [10, 20, 300, 400]))
    }

    @Test func autoPadHandComputed() throws {
        // X = [1, 2, 3, 4], W = [1, 1], stride 1. SAME: out = ⌈4/1⌉ = 4, total pad = 3·1 + 2 − 4 = 1.
        // SAME_UPPER pads the end:   [1+2, 2+3, 3+4, 4+0] = [3, 5, 7, 4]
        // SAME_LOWER pads the start: [0+1, 1+2, 2+3, 3+4] = [1, 3, 5, 7]
        // VALID: no padding, out = 3: [3, 5, 7]
        let x = H.tensor([1, 1, 4], [1, 2, 3, 4]), w = H.tensor([1, 1, 2], [1, 1])
        func run(_ autoPad: AutoPad) throws -> [Float] {
            try Ops.convolution(x, weight: w, bias: nil, attributes: ConvAttributes(autoPad: autoPad)).storage
        }
        #expect(try run(.sameUpper) == [3, 5, 7, 4])
        #expect(try run(.sameLower) == [1, 3, 5, 7])
        #expect(try run(.valid) == [3, 5, 7])
    }

    static let cases: [ConvolutionCase] = [
        ConvolutionCase(
            label: "plain 3x3", channels: 3, outputs: 4, spatial: [7, 6], kernel: [3, 3], attributes: ConvAttributes()),
        ConvolutionCase(
            label: "pads 1", channels: 2, outputs: 3, spatial: [5, 5], kernel: [3, 3],
            attributes: ConvAttributes(pads: [1, 1, 1, 1])),
        ConvolutionCase(
            label: "asymmetric pads, stride 2", channels: 2, outputs: 2, spatial: [8, 7], kernel: [3, 2],
            attributes: ConvAttributes(strides: [2, 3], pads: [0, 1, 2, 1])),
        ConvolutionCase(
            label: "dilation 2", channels: 3, outputs: 2, spatial: [9, 9], kernel: [3, 3],
            attributes: ConvAttributes(pads: [2, 2, 2, 2], dilations: [2, 2])),
        ConvolutionCase(
            label: "groups 2", channels: 4, outputs: 6, spatial: [6, 5], kernel: [3, 3],
            attributes: ConvAttributes(pads: [1, 1, 1, 1], group: 2)),
        ConvolutionCase(
            label: "depthwise", channels: 5, outputs: 5, spatial: [6, 6], kernel: [3, 3],
            attributes: ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1], group: 5)),
        ConvolutionCase(
            label: "depthwise multiplier 2", channels: 3, outputs: 6, spatial: [5, 4], kernel: [2, 2],
            attributes: ConvAttributes(group: 3)),
        ConvolutionCase(
            label: "pointwise 1x1", channels: 4, outputs: 3, spatial: [5, 6], kernel: [1, 1],
            attributes: ConvAttributes(), hasBias: false),
        ConvolutionCase(
            label: "1x1 stride 2", channels: 3, outputs: 2, spatial: [5, 5], kernel: [1, 1],
            attributes: ConvAttributes(strides: [2, 2])),
        ConvolutionCase(
            label: "SAME_UPPER stride 2", channels: 2, outputs: 3, spatial: [7, 6], kernel: [4, 3],
            attributes: ConvAttributes(strides: [2, 2], autoPad: .sameUpper)),
        ConvolutionCase(
            label: "SAME_LOWER dilated", channels: 2, outputs: 2, spatial: [6, 7], kernel: [3, 2],
            attributes: ConvAttributes(dilations: [2, 1], autoPad: .sameLower)),
        ConvolutionCase(
            label: "VALID", channels: 1, outputs: 2, spatial: [6, 6], kernel: [5, 2],
            attributes: ConvAttributes(strides: [1, 2], autoPad: .valid)),
        ConvolutionCase(
            label: "1-D", channels: 3, outputs: 4, spatial: [11], kernel: [3], attributes: ConvAttributes(pads: [1, 2])),
        ConvolutionCase(
            label: "1-D strided dilated grouped", channels: 4, outputs: 2, spatial: [13], kernel: [3],
            attributes: ConvAttributes(strides: [2], pads: [2, 0], dilations: [3], group: 2)),
        ConvolutionCase(
            label: "1-D SAME_UPPER", channels: 2, outputs: 2, spatial: [9], kernel: [4],
            attributes: ConvAttributes(strides: [2], autoPad: .sameUpper), hasBias: false),
        ConvolutionCase(
            label: "kernel_shape given", channels: 2, outputs: 2, spatial: [4, 4], kernel: [2, 3],
            attributes: ConvAttributes(kernelShape: [2, 3])),
    ]

    @Test(arguments: cases)
    func fastPathMatchesReference(_ testCase: ConvolutionCase) throws {
        let group = testCase.attributes.group
        let x = H.random([testCase.batch, testCase.channels] + testCase.spatial, seed: 11)
        let w = H.random([testCase.outputs, testCase.channels / group] + testCase.kernel, seed: 12)
        let bias = testCase.hasBias ? H.random([testCase.outputs], seed: 13) : nil
        let fast = try Ops.convolution(x, weight: w, bias: bias, attributes: testCase.attributes)
        let reference = try Ops.convolutionReference(x, weight: w, bias: bias, attributes: testCase.attributes)
        H.expectClose(fast, reference, rtol: 1e-5, atol: 1e-5)
    }

    @Test func shapeErrorsNameTheNode() {
        let x = H.random([1, 3, 5, 5], seed: 1)
        // W expects 2 input channels, X has 3.
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.convolution(
                        x, weight: H.random([4, 2, 3, 3], seed: 2), bias: nil, attributes: ConvAttributes(), node: "c1")
                }) == "c1")
        // Kernel larger than the input.
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.convolution(
                        x, weight: H.random([4, 3, 7, 7], seed: 2), bias: nil, attributes: ConvAttributes(), node: "c1")
                }) == "c1")
        // Bias of the wrong length.
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.convolution(
                        x, weight: H.random([4, 3, 3, 3], seed: 2), bias: H.random([3], seed: 3),
                        attributes: ConvAttributes(), node: "c1")
                }) == "c1")
        // Output channels not divisible by group.
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.convolution(
                        H.random([1, 4, 5, 5], seed: 1), weight: H.random([3, 2, 3, 3], seed: 2), bias: nil,
                        attributes: ConvAttributes(group: 2), node: "c1")
                }) == "c1")
        // Rank-2 input.
        #expect(
            H.mismatchNode(
                H.graphError {
                    _ = try Ops.convolution(
                        H.random([3, 5], seed: 1), weight: H.random([4, 3, 3], seed: 2), bias: nil,
                        attributes: ConvAttributes(), node: "c1")
                }) == "c1")
    }

    @Test func threeDimensionalIsUnsupported() {
        let error = H.graphError {
            _ = try Ops.convolution(
                H.random([1, 1, 3, 3, 3], seed: 1), weight: H.random([1, 1, 2, 2, 2], seed: 2), bias: nil,
                attributes: ConvAttributes())
        }
        guard case .unsupported = error else {
            Issue.record("expected unsupported, got \(String(describing: error))")
            return
        }
    }
}
