import Testing

@testable import QuantCore

/// The C integer kernels (`ck_qconv`, `ck_qdense`; scalar, AVX2 and the best the CPU has, on one
/// thread and two) against the Swift reference (`convolve`, `dense`), bit for bit, on shapes whose
/// depth is no multiple of 16, with fewer than 8 or a non-multiple of 4 output channels, padding,
/// stride 2, dilation, groups and depthwise, and batches whose positions straddle the 16-position
/// panels and the threads' split; in both requantizations (MLAS's float multiplier and TFLite's
/// fixed point, whose own edge cases are in FixedPointRequantizationTests).
@Suite struct IntegerFastKernelTests {
    static let variants: [IntegerKernelVariant] = [.scalar, .avx2, .vnni, .best]

    static func input(shape: [Int], zeroPoint: Int32, seed: UInt64) throws -> IntegerTensor {
        var random = SplitMix64(seed: seed)
        return IntegerTensor(
            shape: shape, codes: (0..<shape.reduce(1, *)).map { _ in Int16(random.next() % 256) },
            quantization: try ActivationQuantization(scale: 0.02, zeroPoint: zeroPoint, bitWidth: 8, isSigned: false))
    }

    // (channels, outputs, group, kernel, stride, pad, dilation, height, width): conv1-like depth 9,
    // odd depths, 5 and 33 outputs, groups of 3, depthwise with and without a multiplier, 1×1.
    @Test(arguments: [
        (1, 8, 1, 3, 1, 1, 1, 28, 28), (4, 6, 1, 3, 1, 1, 1, 9, 11), (4, 4, 4, 3, 1, 1, 1, 9, 11),
        (6, 12, 3, 3, 2, 1, 1, 9, 11), (3, 6, 3, 5, 1, 2, 2, 9, 11), (2, 5, 1, 1, 1, 0, 1, 9, 11),
        (16, 33, 1, 3, 2, 1, 1, 13, 7), (8, 16, 8, 3, 2, 1, 1, 10, 10), (5, 3, 1, 3, 1, 0, 1, 5, 5),
        // The direct kernel's shapes: ResNet's stem (7×7 / 2, pad 3, 3 channels), a small plane
        // whose channels are no multiple of 4, stride 3, a strided 1×1, an even kernel unpadded.
        (3, 16, 1, 7, 2, 3, 1, 20, 18), (9, 8, 1, 3, 1, 1, 1, 7, 7), (8, 12, 1, 3, 3, 1, 1, 11, 13),
        (4, 8, 1, 1, 2, 0, 1, 9, 9), (5, 6, 1, 2, 1, 0, 1, 6, 5), (12, 20, 1, 5, 2, 2, 1, 17, 4),
        // ResNet's last stage (7×7 planes: compacted), its 14×14 → 7×7 stride-2 entry, 13 outputs
        // (a lone last 4-channel panel), and a 3×3 plane whose 9 positions split 16-lane parts
        // across images.
        (64, 24, 1, 3, 1, 1, 1, 7, 7), (32, 13, 1, 3, 2, 1, 1, 14, 14), (20, 8, 1, 3, 1, 1, 1, 3, 3),
    ])
    func convolutionMatchesTheReference(geometry: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) throws {
        let (channels, outputs, group, kernel, stride, pad, dilation, height, width) = geometry
        var layer = try IntegerConvolutionTests.layer(
            channels: channels, outputs: outputs, group: group, kernel: kernel, stride: stride, pad: pad,
            dilation: dilation, seed: UInt64(channels * 1000 + outputs * 10 + group))
        for requantization in Requantization.allCases {
            layer.requantization = requantization
            for batch in [1, 3] {
                let x = try Self.input(shape: [batch, channels, height, width], zeroPoint: 128, seed: UInt64(batch))
                let reference = try IntegerKernels.convolve(layer, x)
                #expect(reference.codes == IntegerConvolutionTests.direct(layer, x))
                for variant in Self.variants {
                    // The direct kernel on VNNI: compacted by its own choice, always (also 96 positions
                    // gathered at a time) and never.
                    let compactions: [Int32] = variant.resolvedName == "avx512-vnni" ? [0, 1, 2, -1] : [0]
                    for threads in [1, 2] {
                        for compaction in compactions {
                            let fast = try IntegerKernels.linear(
                                layer, x, variant: variant, threads: threads, minimumWork: 1, compaction: compaction)
                            #expect(
                                fast == reference,
                                "\(variant.resolvedName), \(threads)t, batch \(batch), \(requantization), \(compaction)"
                            )
                        }
                    }
                }
            }
        }
    }

    /// Codes wider than a byte (a 10-bit Add output): the VNNI variant keeps its int16 pairs
    /// (vpdpwssd) instead of the u8 path; a range that fits a byte in one thread's images and not
    /// in the other's takes one path each.
    @Test func codesWiderThanAByteMatchTheReference() throws {
        let layer = try IntegerConvolutionTests.layer(
            channels: 3, outputs: 5, group: 1, kernel: 3, stride: 1, pad: 1, dilation: 1, seed: 11)
        var random = SplitMix64(seed: 12)
        let shape = [4, 3, 16, 16]
        let perImage = shape.dropFirst().reduce(1, *)
        let codes = (0..<shape.reduce(1, *)).map { index in
            index < 2 * perImage ? Int16(Int(random.next() % 801) - 400) : Int16(Int(random.next() % 200) - 100)
        }
        let x = IntegerTensor(
            shape: shape, codes: codes,
            quantization: try ActivationQuantization(scale: 0.01, zeroPoint: 0, bitWidth: 10, isSigned: true))
        let reference = try IntegerKernels.convolve(layer, x)
        for variant in Self.variants {
            for threads in [1, 2] {
                let fast = try IntegerKernels.linear(layer, x, variant: variant, threads: threads, minimumWork: 1)
                #expect(fast == reference, "\(variant.resolvedName), \(threads) threads")
            }
        }
    }

    @Test(arguments: [(1, 10, 9), (37, 13, 77), (600, 3, 16), (5, 7, 1)])
    func denseMatchesTheReference(shape: (Int, Int, Int)) throws {
        let (batch, outputs, depth) = shape
        var random = SplitMix64(seed: UInt64(batch * outputs + depth))
        let layer = try Self.denseLayer(
            outputs: outputs, depth: depth, multiplierStep: 1e-4, zeroPoint: -5, clamp: -5...127, random: &random)
        let x = IntegerTensor(
            shape: [batch, depth], codes: (0..<(batch * depth)).map { _ in Int16(Int(random.next() % 256) - 128) },
            quantization: try ActivationQuantization(scale: 0.05, zeroPoint: 3, bitWidth: 8, isSigned: true))
        try Self.expectEveryVariantGivesTheReference(layer, x)
    }

    /// A Gemm layer with random int8 weights, int32 biases and multipliers (multiples of
    /// `multiplierStep`), writing signed 8-bit codes with `zeroPoint`, clamped to `clamp`.
    static func denseLayer(
        outputs: Int, depth: Int, multiplierStep: Float, zeroPoint: Int32, clamp: ClosedRange<Int32>,
        random: inout SplitMix64
    ) throws -> IntegerLinear {
        IntegerLinear(
            layerName: "fc", input: "x", output: "y",
            weights: (0..<(outputs * depth)).map { _ in Int8(truncatingIfNeeded: Int(random.next() % 255) - 127) },
            outputChannels: outputs, depth: depth,
            bias: (0..<outputs).map { _ in Int32(Int(random.next() % 20001) - 10000) },
            multipliers: (0..<outputs).map { _ in Float(random.next() % 1000 + 1) * multiplierStep },
            outputQuantization: try ActivationQuantization(
                scale: 0.1, zeroPoint: zeroPoint, bitWidth: 8, isSigned: true),
            clamp: clamp, convolution: nil)
    }

    /// `linear` on every kernel variant, on one thread and two, gives the reference's codes.
    static func expectEveryVariantGivesTheReference(_ layer: IntegerLinear, _ x: IntegerTensor) throws {
        let reference = try IntegerKernels.dense(layer, x)
        for variant in variants {
            for threads in [1, 2] {
                let fast = try IntegerKernels.linear(layer, x, variant: variant, threads: threads, minimumWork: 1)
                #expect(fast == reference, "\(variant.resolvedName), \(threads) threads")
            }
        }
    }

    /// `ck_qdense` trusts the input's declared code range (no scan) until a chunk of rows shows a
    /// code outside it; the rest is then scanned, and narrowed to bytes again or multiplied as
    /// int16 pairs. Rows 0..<100 keep to the declared 0…255; later rows do not, by less than a
    /// byte's span or by more. Same codes as the reference either way.
    @Test(arguments: [210, 600])
    func denseChecksTheDeclaredCodeRange(spread: Int) throws {
        let (batch, outputs, depth) = (200, 9, 784)  // chunks of 96 rows at this depth (48 as int16 pairs)
        var random = SplitMix64(seed: UInt64(spread))
        let layer = try Self.denseLayer(
            outputs: outputs, depth: depth, multiplierStep: 1e-6, zeroPoint: 0, clamp: -128...127, random: &random)
        let codes = (0..<(batch * depth)).map { index in
            index < 100 * depth
                ? Int16(random.next() % 256) : Int16(Int(random.next() % UInt64(spread)) - spread / 3)
        }
        let x = IntegerTensor(
            shape: [batch, depth], codes: codes,
            quantization: try ActivationQuantization(scale: 0.05, zeroPoint: 7, bitWidth: 8, isSigned: false))
        #expect(x.quantization.codeRange == 0...255)
        #expect(codes.contains { $0 < 0 })
        try Self.expectEveryVariantGivesTheReference(layer, x)
    }

    @Test func packedWeightsFollowTheWeights() throws {
        var layer = try IntegerConvolutionTests.layer(
            channels: 4, outputs: 6, group: 2, kernel: 3, stride: 1, pad: 1, dilation: 1, seed: 3)
        let before = layer.packed
        // Per group, one panel of 4 channels: 9 int16 pairs, 5 int8 quads and the sums (depth 18).
        #expect(before.count == 2 * 4 * (9 + 5 + 1))
        layer.weights = layer.weights.map { $0 == .min ? $0 : -$0 }
        #expect(layer.packed != before)
        let x = try Self.input(shape: [2, 4, 6, 6], zeroPoint: 0, seed: 9)
        #expect(try IntegerKernels.linear(layer, x, variant: .best, threads: 1) == IntegerKernels.convolve(layer, x))
    }

    @Test func aMismatchedInputIsRefusedWithTheLayersName() throws {
        let layer = try IntegerConvolutionTests.layer(
            channels: 4, outputs: 6, group: 1, kernel: 3, stride: 1, pad: 1, dilation: 1, seed: 4)
        let x = try Self.input(shape: [1, 3, 6, 6], zeroPoint: 0, seed: 1)
        #expect(throws: IntegerLoweringError.self) { try IntegerKernels.linear(layer, x, variant: .best, threads: 1) }
    }

    /// Both demo models, lowered from an int8 plan: every variant's output codes are the
    /// reference's, in both requantizations.
    @Test(arguments: [BundledModel.mlp, .cnn], Requantization.allCases)
    func demoModelsGiveTheReferenceCodes(model: BundledModel, requantization: Requantization) throws {
        let workbench = try IntegerLoweringTests.workbench(model, heldOut: 64)
        var (_, integer) = try workbench.integerModel(
            for: IntegerLoweringTests.int8Plan, requantization: requantization)
        #expect(integer.linearLayers.allSatisfy { $0.requantization == requantization })
        let batch = try workbench.heldOut.images(in: 0..<64)
        integer.variant = .reference
        let reference = try integer.outputCodes(batch)
        for variant in Self.variants {
            for threads in [1, 2] {
                integer.variant = variant
                integer.threads = threads
                #expect(try integer.outputCodes(batch) == reference, "\(variant.resolvedName), \(threads) threads")
            }
        }
    }

    /// Ceil mode (torchvision's SqueezeNet and GoogLeNet): the codes' maximum, and their average
    /// over the taps inside, are the float engine's ceil-mode pooling of the dequantized codes.
    @Test func ceilModePoolingIsTheFloatPoolingOfTheCodes() throws {
        let x = try Self.input(shape: [1, 3, 16, 15], zeroPoint: 0, seed: 7)
        let q = x.quantization
        let floats = Tensor(shape: x.shape, storage: x.codes.map { q.scale * Float(Int32($0) - q.zeroPoint) })
        for pads in [[0, 0, 0, 0], [1, 1, 1, 1]] {
            let window = PoolAttributes(kernelShape: [3, 3], strides: [2, 2], pads: pads, ceilMode: true)
            let codes = try IntegerKernels.pool(x, window, average: false)
            let reference = try Ops.pool(.max, floats, attributes: window)
            #expect(codes.shape == reference.shape)
            #expect(codes.codes.map { q.scale * Float(Int32($0) - q.zeroPoint) } == reference.storage)
            let averages = try IntegerKernels.pool(x, window, average: true)
            let floatAverages = try Ops.pool(.average, floats, attributes: window)
            #expect(averages.shape == floatAverages.shape)
            for (code, value) in zip(averages.codes, floatAverages.storage) {
                #expect(abs(q.scale * Float(Int32(code) - q.zeroPoint) - value) <= q.scale / 2 + 1e-6)
            }
        }
    }

    /// `ck_qpool` against `pool`: max and average, padding with and without counting it, stride,
    /// dilation, a window wholly in the padding; the vectorized 2×2 / 2 max on rows of 3 to 18
    /// outputs.
    @Test func poolingMatchesTheReference() throws {
        let inputs = [
            try Self.input(shape: [2, 3, 9, 10], zeroPoint: 100, seed: 5),
            try Self.input(shape: [1, 2, 21, 37], zeroPoint: 0, seed: 6),  // 2×2 / 2 rows of 8+ outputs
            // 2×2 / 2 rows of 14, 7, 3 and 8 outputs (MNIST's 28 → 14 → 7; steps that overlap, none)
            try Self.input(shape: [2, 3, 28, 28], zeroPoint: 3, seed: 7),
            try Self.input(shape: [1, 4, 14, 14], zeroPoint: 0, seed: 8),
            try Self.input(shape: [1, 2, 6, 7], zeroPoint: 0, seed: 9),
            try Self.input(shape: [1, 2, 8, 16], zeroPoint: 0, seed: 10),
        ]
        let windows = [
            PoolAttributes(kernelShape: [2, 2], strides: [2, 2]),
            PoolAttributes(kernelShape: [3, 3], strides: [2, 1], pads: [1, 1, 1, 1]),
            PoolAttributes(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1]),  // ResNet's stem
            PoolAttributes(kernelShape: [3, 2], strides: [1, 2], pads: [2, 0, 2, 1], countIncludePad: true),
            PoolAttributes(kernelShape: [2, 3], strides: [2, 2], dilations: [2, 1]),
            PoolAttributes(kernelShape: [1, 1], strides: [1, 1], pads: [1, 1, 1, 1]),
            PoolAttributes(kernelShape: [3, 3], strides: [2, 2], ceilMode: true),
            PoolAttributes(kernelShape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true),
        ]
        for x in inputs {
            for window in windows {
                for average in [false, true] {
                    #expect(
                        try IntegerKernels.fastPool(x, window, average: average)
                            == IntegerKernels.pool(x, window, average: average), "\(window), average \(average)")
                }
            }
        }
    }

    /// The input codes (`ck_quantize_codes16`, vectorized) against `ActivationQuantizer.quantize`
    /// per element: ties at every half step, values past both ends, NaN and ±infinity, signed and
    /// unsigned, a count that is no multiple of the vector width.
    @Test func inputCodesMatchTheQuantizer() throws {
        var random = SplitMix64(seed: 21)
        var values = (0..<1037).map { _ in Float(Int(random.next() % 2001) - 1000) * 0.0125 }
        values += (-600...600).map { Float($0) * 0.5 * 0.02 }  // halves of a step: ties
        values += [.nan, .infinity, -.infinity, 1e30, -1e30, 0, -0.0]
        let tensor = Tensor(shape: [values.count], storage: values)
        for (scale, zeroPoint, signed) in [(Float(0.02), Int32(0), true), (0.02, 128, false), (0.0371, 7, false)] {
            let quantization = try ActivationQuantization(
                scale: scale, zeroPoint: zeroPoint, bitWidth: 8, isSigned: signed)
            let expected = values.map { Int16(ActivationQuantizer.quantize($0, with: quantization)) }
            #expect(IntegerKernels.quantize(tensor, with: quantization).codes == expected, "\(quantization)")
        }
    }

    /// A batch split into pieces quantizes each piece's images in place: the codes and shape of
    /// quantizing the copied rows.
    @Test func rowsQuantizeAsTheirSlice() throws {
        var random = SplitMix64(seed: 22)
        let tensor = Tensor(
            shape: [7, 2, 3], storage: (0..<42).map { _ in Float(Int(random.next() % 2001) - 1000) * 0.01 })
        let quantization = try ActivationQuantization(scale: 0.05, zeroPoint: 128, bitWidth: 8, isSigned: false)
        for rows in [0..<7, 2..<5, 6..<7, 3..<3] {
            let piece = IntegerKernels.quantize(tensor, rows: rows, with: quantization)
            #expect(piece == IntegerKernels.quantize(tensor.slice(rows: rows), with: quantization), "\(rows)")
            #expect(piece.shape == [rows.count, 2, 3])
        }
    }
}
