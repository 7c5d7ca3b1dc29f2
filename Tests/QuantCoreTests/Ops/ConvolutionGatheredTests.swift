import Testing

@testable import QuantCore

/// Convolutions with small output planes multiply several images in one GEMM
/// (`Ops+ConvolutionGathered.swift`): bit for bit the per-image result, and the definition's.
@Suite struct ConvolutionGatheredTests {
    /// (label, x shape, w shape, attributes): 7×7 and 14×14 planes (ResNet's last stages),
    /// pointwise and 3×3, strided, 1-D, no bias.
    static let cases: [(String, [Int], [Int], ConvAttributes, Bool)] = [
        ("3x3 pad 1 on 7x7", [3, 24, 7, 7], [20, 24, 3, 3], ConvAttributes(pads: [1, 1, 1, 1]), true),
        ("1x1 on 7x7 (pointwise)", [4, 40, 7, 7], [33, 40, 1, 1], ConvAttributes(), true),
        ("1x1 on 14x14, no bias", [2, 16, 14, 14], [8, 16, 1, 1], ConvAttributes(), false),
        (
            "3x3 stride 2 on 13x13", [3, 5, 13, 13], [7, 5, 3, 3],
            ConvAttributes(strides: [2, 2], pads: [1, 1, 1, 1]), true
        ),
        ("1-D kernel 3 on length 20", [5, 6, 20], [4, 6, 3], ConvAttributes(), true),
    ]

    static func random(_ shape: [Int], _ generator: inout SplitMix64) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, storage: (0..<count).map { _ in generator.nextFloat(in: -1...1) })
    }

    @Test(arguments: 0..<cases.count)
    func aBatchEqualsItsImagesOneByOne(index: Int) throws {
        let (label, xShape, wShape, attributes, hasBias) = Self.cases[index]
        var generator = SplitMix64(seed: UInt64(40 + index))
        let x = Self.random(xShape, &generator), w = Self.random(wShape, &generator)
        let bias = hasBias ? Self.random([wShape[0]], &generator) : nil
        let batched = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes)
        let positions = batched.shape.dropFirst(2).reduce(1, *)
        #expect(Ops.gathersImages(positions: positions, batch: xShape[0]), "\(label): the case takes the gathered path")
        let imageSize = x.count / xShape[0], outputSize = batched.count / xShape[0]
        for n in 0..<xShape[0] {
            let image = Tensor(
                shape: [1] + xShape.dropFirst(), storage: Array(x.storage[(n * imageSize)..<((n + 1) * imageSize)]))
            let alone = try Ops.convolution(image, weight: w, bias: bias, attributes: attributes)
            let slice = Array(batched.storage[(n * outputSize)..<((n + 1) * outputSize)])
            #expect(slice.map(\.bitPattern) == alone.storage.map(\.bitPattern), "\(label), image \(n)")
        }
        let reference = try Ops.convolutionReference(x, weight: w, bias: bias, attributes: attributes)
        #expect(batched.shape == reference.shape)
        let taps = Float(wShape.dropFirst().reduce(1, *))
        let worst = zip(batched.storage, reference.storage).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5 * (1 + taps), "\(label): \(worst)")
    }

    /// A column budget smaller than the batch splits it into groups; every group is written.
    @Test func groupsSmallerThanTheBatchCoverEveryImage() throws {
        var generator = SplitMix64(seed: 7)
        let x = Self.random([5, 12, 7, 7], &generator), w = Self.random([9, 12, 3, 3], &generator)
        let bias = Self.random([9], &generator)
        let attributes = ConvAttributes(pads: [1, 1, 1, 1])
        let whole = try Ops.convolution(x, weight: w, bias: bias, attributes: attributes)
        let problem = try Ops.convolutionProblem(x, weight: w, bias: bias, attributes: attributes, node: "")
        let geometry = problem.window.convolutionGeometry(channels: 12)
        let perImage = geometry.columnRows * geometry.columnCount * MemoryLayout<Float>.stride
        var grouped = [Float](repeating: .nan, count: whole.count)
        x.storage.withUnsafeBufferPointer { image in
            w.storage.withUnsafeBufferPointer { weights in
                grouped.withUnsafeMutableBufferPointer { out in
                    Ops.convolveGatheringImages(
                        image: image.baseAddress!, weights: weights.baseAddress!, bias: bias.storage, problem: problem,
                        geometry: geometry, isPointwise: false, out: out.baseAddress!, columnBytes: 2 * perImage)
                }
            }
        }
        #expect(grouped.map(\.bitPattern) == whole.storage.map(\.bitPattern))
    }

    @Test func onlySmallPartlyFilledPlanesAreGathered() {
        #expect(Ops.gathersImages(positions: 49, batch: 2))
        #expect(Ops.gathersImages(positions: 196, batch: 8))
        #expect(!Ops.gathersImages(positions: 49, batch: 1))
        #expect(!Ops.gathersImages(positions: 64, batch: 8))  // whole panels
        #expect(!Ops.gathersImages(positions: 784, batch: 8))  // large enough alone
    }
}
