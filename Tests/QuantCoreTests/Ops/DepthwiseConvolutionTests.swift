import Testing

@testable import QuantCore

/// The direct depthwise kernel (`DepthwiseConvolution.add`, CKernels `ck_depthwise_conv`) gives
/// bit for bit what im2col + GEMM give channel by channel on the same CPU variant, and agrees
/// with the plain reference convolution within rounding.
@Suite struct DepthwiseConvolutionTests {
    /// (label, geometry with `channels` input planes, multiplier): MobileNetV2's shapes (3×3
    /// pad 1, stride 1 and 2) at widths that leave every kind of partial vector tile, plus
    /// dilation, asymmetric and one-sided padding, 5×5 and 1×1 windows, stride 3 and a
    /// multiplier above 1 — so every kernel path: the flattened plane (stride 1, whole rows), the
    /// stride-2 three-column tiles, the direct tiles and the scratch copy.
    static let geometries: [(String, ConvolutionGeometry, Int)] = [
        (
            "3x3 s1 p1 14x14",
            .init(
                channels: 5, inputHeight: 14, inputWidth: 14, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 1
        ),
        (
            "3x3 s1 p1 7x7",
            .init(
                channels: 3, inputHeight: 7, inputWidth: 7, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 1
        ),
        (
            "3x3 s1 p1 57x33",
            .init(
                channels: 2, inputHeight: 57, inputWidth: 33, kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1,
                padBottom: 1, padRight: 1), 1
        ),
        (
            "3x3 s2 p1 56x56",
            .init(
                channels: 3, inputHeight: 56, inputWidth: 56, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
                strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1), 1
        ),
        (
            "3x3 s2 p1 odd 15x17",
            .init(
                channels: 4, inputHeight: 15, inputWidth: 17, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
                strideWidth: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1), 1
        ),
        (
            "3x3 s1 dilation 2 pad 2",
            .init(
                channels: 2, inputHeight: 19, inputWidth: 18, kernelHeight: 3, kernelWidth: 3, padTop: 2, padLeft: 2,
                padBottom: 2, padRight: 2, dilationHeight: 2, dilationWidth: 2), 1
        ),
        (
            "5x5 pad 2, multiplier 2",
            .init(
                channels: 3, inputHeight: 12, inputWidth: 40, kernelHeight: 5, kernelWidth: 5, padTop: 2, padLeft: 2,
                padBottom: 2, padRight: 2), 2
        ),
        (
            "3x3 asymmetric pad, stride 2x1",
            .init(
                channels: 2, inputHeight: 9, inputWidth: 10, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
                padTop: 0, padLeft: 2, padBottom: 3, padRight: 0), 3
        ),
        (
            "2x4 stride 3 dilation 2x1, no pad",
            .init(
                channels: 2, inputHeight: 20, inputWidth: 50, kernelHeight: 2, kernelWidth: 4, strideHeight: 3,
                strideWidth: 3, dilationHeight: 2), 1
        ),
        (
            // MobileNetV2's widest stride-2 plane (112 columns: several 16-column blocks per phase),
            // with one-sided padding and a dilated window in columns, for the vector scratch copy.
            "3x3 s2 112 wide, pad right only, dilation 1x2",
            .init(
                channels: 2, inputHeight: 9, inputWidth: 112, kernelHeight: 3, kernelWidth: 3, strideHeight: 2,
                strideWidth: 2, padTop: 0, padLeft: 0, padBottom: 1, padRight: 3, dilationWidth: 2), 1
        ),
        (
            // Stride 1 with whole output rows but uneven padding above and below: the flattened plane.
            "5x5 s1 pad top 1 bottom 3, 23x21",
            .init(
                channels: 2, inputHeight: 23, inputWidth: 21, kernelHeight: 5, kernelWidth: 5, padTop: 1, padLeft: 2,
                padBottom: 3, padRight: 2), 1
        ),
        (
            // Column stride 2 over three adjacent columns, rows dilated and strided by 3: each loaded
            // row serves the output rows that read it.
            "3x3 s3x2 dilation 2x1, 30x70",
            .init(
                channels: 2, inputHeight: 30, inputWidth: 70, kernelHeight: 3, kernelWidth: 3, strideHeight: 3,
                strideWidth: 2, padTop: 2, padLeft: 1, padBottom: 2, padRight: 0, dilationHeight: 2), 1
        ),
        ("1x1, 1-D-like 1x70", .init(channels: 3, inputHeight: 1, inputWidth: 70, kernelHeight: 1, kernelWidth: 1), 1),
    ]

    /// The variants to compare under, each only where this CPU has it.
    static let variants: [GEMM.KernelVariant] = [.portable, .avx2, .avx512]
    static let names: [GEMM.KernelVariant: String] = [.portable: "portable", .avx2: "avx2-fma", .avx512: "avx512"]

    /// One output plane after another through im2col + GEMM, on top of `start`.
    static func viaGEMM(
        image: [Float], geometry: ConvolutionGeometry, multiplier: Int, weights: [Float], start: [Float]
    ) -> [Float] {
        var plane = geometry
        plane.channels = 1
        let taps = geometry.kernelHeight * geometry.kernelWidth, positions = geometry.columnCount
        let planeSize = geometry.inputHeight * geometry.inputWidth
        var output = start
        var columns = [Float](repeating: 0, count: taps * positions)
        for c in 0..<geometry.channels {
            image.withUnsafeBufferPointer { x in
                columns.withUnsafeMutableBufferPointer {
                    Im2Col.unfoldFast(x.baseAddress! + c * planeSize, geometry: plane, into: $0.baseAddress!)
                }
            }
            weights.withUnsafeBufferPointer { w in
                columns.withUnsafeBufferPointer { b in
                    output.withUnsafeMutableBufferPointer { out in
                        GEMM.multiply(
                            m: multiplier, n: positions, k: taps, a: w.baseAddress! + c * multiplier * taps,
                            b: b.baseAddress!, beta: 1, c: out.baseAddress! + c * multiplier * positions)
                    }
                }
            }
        }
        return output
    }

    @Test(arguments: 0..<geometries.count)
    func directEqualsIm2ColThenGEMMBitForBit(index: Int) throws {
        let (label, geometry, multiplier) = Self.geometries[index]
        var generator = SplitMix64(seed: UInt64(100 + index))
        let image = (0..<(geometry.channels * geometry.inputHeight * geometry.inputWidth)).map { _ in
            generator.nextFloat(in: -1...1)
        }
        let outputs = geometry.channels * multiplier
        let weights = (0..<(outputs * geometry.kernelHeight * geometry.kernelWidth)).map { _ in
            generator.nextFloat(in: -1...1)
        }
        let start = (0..<(outputs * geometry.columnCount)).map { _ in generator.nextFloat(in: -1...1) }
        defer { GEMM.forceKernelVariant(nil) }
        var compared = 0
        for variant in Self.variants {
            guard GEMM.forceKernelVariant(variant) == Self.names[variant] else { continue }  // not on this CPU
            let expected = Self.viaGEMM(
                image: image, geometry: geometry, multiplier: multiplier, weights: weights, start: start)
            var direct = start
            let ran = direct.withUnsafeMutableBufferPointer { out in
                DepthwiseConvolution.add(
                    image: image, geometry: geometry, multiplier: multiplier, weights: weights,
                    into: out.baseAddress!)
            }
            #expect(ran, "\(label) \(variant)")
            #expect(direct.map(\.bitPattern) == expected.map(\.bitPattern), "\(label) \(variant)")
            compared += 1
        }
        #expect(compared >= 1)
    }

    /// Through `Ops.convolution` (group = channels), against the direct-loop specification:
    /// the same taps in the same order, but the reference adds the bias last and never fuses a
    /// multiply-add, so they may differ by a few roundings: |fast − reference| ≤ 1e-5 · (|b| +
    /// Σ|x·w|) per output, with Σ|x·w| ≤ kH·kW here.
    @Test(arguments: 0..<geometries.count)
    func convolutionMatchesTheReference(index: Int) throws {
        let (label, g, multiplier) = Self.geometries[index]
        let x = OpsTestHelpers.random([2, g.channels, g.inputHeight, g.inputWidth], seed: UInt64(200 + index))
        let w = OpsTestHelpers.random(
            [g.channels * multiplier, 1, g.kernelHeight, g.kernelWidth], seed: UInt64(300 + index))
        let b = OpsTestHelpers.random([g.channels * multiplier], seed: UInt64(400 + index))
        let attributes = ConvAttributes(
            strides: [g.strideHeight, g.strideWidth], pads: [g.padTop, g.padLeft, g.padBottom, g.padRight],
            dilations: [g.dilationHeight, g.dilationWidth], group: g.channels)
        let fast = try Ops.convolution(x, weight: w, bias: b, attributes: attributes)
        let reference = try Ops.convolutionReference(x, weight: w, bias: b, attributes: attributes)
        #expect(fast.shape == reference.shape, "\(label)")
        let bound = 1e-5 * Float(1 + g.kernelHeight * g.kernelWidth)
        let worst = zip(fast.storage, reference.storage).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= bound, "\(label): worst difference \(worst) > \(bound)")
    }

    /// More than 256 taps: the kernel declines and leaves the output alone; `Ops.convolution`
    /// then takes im2col + GEMM and still matches the reference.
    @Test func largeWindowsFallBack() throws {
        let geometry = ConvolutionGeometry(
            channels: 2, inputHeight: 20, inputWidth: 20, kernelHeight: 17, kernelWidth: 17, padTop: 8, padLeft: 8,
            padBottom: 8, padRight: 8)
        let image = [Float](repeating: 1, count: 2 * 400), weights = [Float](repeating: 1, count: 2 * 289)
        var output = [Float](repeating: 3, count: 2 * geometry.columnCount)
        let ran = DepthwiseConvolution.add(
            image: image, geometry: geometry, multiplier: 1, weights: weights, into: &output)
        #expect(!ran && output.allSatisfy { $0 == 3 })

        let x = OpsTestHelpers.random([1, 2, 20, 20], seed: 7), w = OpsTestHelpers.random([2, 1, 17, 17], seed: 8)
        let attributes = ConvAttributes(pads: [8, 8, 8, 8], group: 2)
        OpsTestHelpers.expectClose(
            try Ops.convolution(x, weight: w, bias: nil, attributes: attributes),
            try Ops.convolutionReference(x, weight: w, bias: nil, attributes: attributes), rtol: 1e-4, atol: 1e-4)
    }
}
