import Testing
@testable import QuantCore
import QuantTestSupport

/// The fast im2col (CKernels) against the Swift reference, over strides, pads and dilations.
@Suite struct Im2ColTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var geometry: ConvolutionGeometry
        var testDescription: String {
            let g = geometry
            return "C\(g.channels) \(g.inputHeight)x\(g.inputWidth) k\(g.kernelHeight)x\(g.kernelWidth) "
                + "s\(g.strideHeight),\(g.strideWidth) p\(g.padTop),\(g.padLeft),\(g.padBottom),\(g.padRight) "
                + "d\(g.dilationHeight),\(g.dilationWidth)"
        }
    }

    static let cases: [Case] = [
        ConvolutionGeometry(
            channels: 1, inputHeight: 28, inputWidth: 28, kernelHeight: 3, kernelWidth: 3,
            padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        ConvolutionGeometry(
            channels: 3, inputHeight: 9, inputWidth: 7, kernelHeight: 7, kernelWidth: 7,
            strideHeight: 2, strideWidth: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3),
        ConvolutionGeometry(
            channels: 2, inputHeight: 5, inputWidth: 6, kernelHeight: 2, kernelWidth: 3,
            strideHeight: 1, strideWidth: 3, padTop: 0, padLeft: 2, padBottom: 1, padRight: 0),
        ConvolutionGeometry(
            channels: 2, inputHeight: 8, inputWidth: 8, kernelHeight: 3, kernelWidth: 3,
            padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationHeight: 2, dilationWidth: 2),
        ConvolutionGeometry(
            channels: 1, inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3,
            padTop: 4, padLeft: 4, padBottom: 4, padRight: 4),
        ConvolutionGeometry(
            channels: 4, inputHeight: 1, inputWidth: 11, kernelHeight: 1, kernelWidth: 4,
            strideWidth: 2),
    ].map(Case.init)

    @Test(arguments: cases)
    func fastMatchesReference(_ testCase: Case) {
        let g = testCase.geometry
        var generator = SplitMix64(seed: 7)
        let image = (0..<(g.channels * g.inputHeight * g.inputWidth)).map { _ in generator.nextFloat(in: -1...1) }
        var expected = [Float](repeating: .nan, count: g.columnRows * g.columnCount)
        var actual = expected
        image.withUnsafeBufferPointer { source in
            expected.withUnsafeMutableBufferPointer {
                Im2Col.unfold(source.baseAddress!, geometry: g, into: $0.baseAddress!)
            }
            actual.withUnsafeMutableBufferPointer {
                Im2Col.unfoldFast(source.baseAddress!, geometry: g, into: $0.baseAddress!)
            }
        }
        #expect(actual == expected)  // copies only: bit for bit, and every column written (no NaN left)
    }
}
