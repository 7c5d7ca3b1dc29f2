import Testing

@testable import QuantCore

@Suite struct SizeModelTests {
    static func layer(_ name: String, shape: [Int], bias: Int = 0) -> Layer {
        Layer(
            name: name, nodeIndex: 0, opName: "Gemm", weightName: "\(name).weight",
            biasName: bias > 0 ? "\(name).bias" : nil, weightShape: shape, outputChannelAxis: 0,
            weightCount: shape.reduce(1, *), biasCount: bias)
    }

    /// Hand-built quantized weights: `zeroCount` leading zeros, the rest 1.
    static func quantized(
        count: Int, bitWidth: Int, scheme: Scheme = .symmetric, scales: Int, zeroPoints: Int = 0, codebook: Int = 0,
        zeroCount: Int = 0, pruning: PruningRule? = nil
    ) -> QuantizedWeights {
        let values = (0..<count).map { $0 < zeroCount ? Float(0) : 1 }
        return QuantizedWeights(
            settings: LayerSettings(bitWidth: bitWidth, scheme: scheme, pruning: pruning), shape: [count],
            dequantized: values, codes: values.map { Int32($0) }, bitWidth: bitWidth,
            scales: Array(repeating: 0.1, count: scales), zeroPoints: Array(repeating: 0, count: zeroPoints),
            codebook: Array(repeating: 0, count: codebook), blockCount: max(scales, 1),
            prunedMask: pruning == nil ? [] : (0..<count).map { $0 < zeroCount })
    }

    static let fc = layer("fc", shape: [10, 100])

    @Test func symmetricFourBitPerChannel() {
        let size = SizeModel.layerSize(Self.fc, quantized: Self.quantized(count: 1000, bitWidth: 4, scales: 10))
        #expect(size.codeBytes == 500)
        #expect(size.scaleBytes == 40)
        #expect(size.zeroPointBytes == 0)
        #expect(size.quantizedBytes == 540)
        #expect(size.floatBytes == 4000)
        #expect(size.encoding == .dense)
        #expect(size.bitsPerWeight == 4.32)
    }

    @Test(arguments: [(4, 500 + 40 + 10), (8, 1000 + 40 + 10), (12, 1500 + 40 + 20), (16, 2000 + 40 + 20)])
    func asymmetricAddsZeroPointsRoundedUpToBytes(bitWidth: Int, expected: Int) {
        let quantized = Self.quantized(count: 1000, bitWidth: bitWidth, scheme: .asymmetric, scales: 10, zeroPoints: 10)
        #expect(SizeModel.layerSize(Self.fc, quantized: quantized).quantizedBytes == expected)
    }

    @Test func codesArePackedAcrossByteBoundaries() {
        #expect(SizeModel.packedBytes(count: 1000, bitWidth: 3) == 375)
        #expect(SizeModel.packedBytes(count: 7, bitWidth: 3) == 3)  // 21 bits
        #expect(SizeModel.packedBytes(count: 1, bitWidth: 1) == 1)
        #expect(SizeModel.packedBytes(count: 0, bitWidth: 8) == 0)
        #expect(SizeModel.occupancyBytes(count: 1001) == 126)
    }

    @Test func sparseBeatsDenseAtNinetyPercent() {
        let quantized = Self.quantized(count: 1000, bitWidth: 4, scales: 10, zeroCount: 900, pruning: .sparsity(0.9))
        let size = SizeModel.layerSize(Self.fc, quantized: quantized)
        #expect(size.encoding == .sparse)
        #expect(size.occupancyBytes == 125)  // ⌈1000 / 8⌉
        #expect(size.codeBytes == 50)  // ⌈100 · 4 / 8⌉
        #expect(size.quantizedBytes == 125 + 50 + 40)
    }

    @Test func denseStaysWhenSparseIsNotCheaper() {
        let light = Self.quantized(count: 1000, bitWidth: 4, scales: 10, zeroCount: 100, pruning: .threshold(0.01))
        let lightSize = SizeModel.layerSize(Self.fc, quantized: light)
        #expect(lightSize.encoding == .dense)  // 125 + 450 > 500
        #expect(lightSize.quantizedBytes == 540)
    }

    /// Issue 15.8: the encoding follows the zeros, not whether a prune rule exists, so a
    /// threshold that prunes nothing changes nothing.
    @Test func denseOrBitmapIsChosenOnItsMeritsWithOrWithoutAPruneRule() {
        let unpruned = Self.quantized(count: 1000, bitWidth: 4, scales: 10, zeroCount: 900)
        let ruleThatPrunesNothing = Self.quantized(
            count: 1000, bitWidth: 4, scales: 10, zeroCount: 900, pruning: .threshold(1e-9))
        let plain = SizeModel.layerSize(Self.fc, quantized: unpruned)
        #expect(plain.encoding == .sparse)  // 125 + 50 < 500: rounding zeros pay for the bitmap
        #expect(plain.quantizedBytes == 125 + 50 + 40)
        #expect(SizeModel.layerSize(Self.fc, quantized: ruleThatPrunesNothing) == plain)
        let fewZeros = Self.quantized(count: 1000, bitWidth: 4, scales: 10, zeroCount: 100)
        #expect(SizeModel.layerSize(Self.fc, quantized: fewZeros).encoding == .dense)
    }

    @Test func prunedBinaryLayersAreAlwaysSparse() {
        // 1-bit codes are ±α only, so 10 % pruned zeros need the bitmap even though
        // dense (125 B) would be cheaper than bitmap + codes (125 + 113 B).
        let binary = Self.quantized(
            count: 1000, bitWidth: 1, scheme: .binary, scales: 10, zeroCount: 100, pruning: .threshold(0.01))
        let size = SizeModel.layerSize(Self.fc, quantized: binary)
        #expect(size.encoding == .sparse)
        #expect(size.occupancyBytes == 125)
        #expect(size.codeBytes == 113)  // ⌈900 · 1 / 8⌉
        // Without zeros the dense 1-bit codes suffice.
        let unpruned = Self.quantized(count: 1000, bitWidth: 1, scheme: .binary, scales: 10, pruning: .threshold(0))
        #expect(SizeModel.layerSize(Self.fc, quantized: unpruned).encoding == .dense)
    }

    @Test func kmeansStoresAFullCodebookPerLayer() {
        let quantized = Self.quantized(count: 1000, bitWidth: 3, scheme: .kmeans, scales: 0, codebook: 5)
        let size = SizeModel.layerSize(Self.fc, quantized: quantized)
        #expect(size.codeBytes == 375)
        #expect(size.codebookBytes == 32)  // 2^3 float32 entries
        #expect(size.scaleBytes == 0)
        #expect(size.quantizedBytes == 407)
    }

    @Test func nf4LevelsAreFreeButGroupScalesAreNot() {
        // Group 64 over rows of 100: 2 groups per channel, 20 blocks.
        let quantized = Self.quantized(count: 1000, bitWidth: 4, scheme: .nf4, scales: 20, codebook: 16)
        let size = SizeModel.layerSize(Self.fc, quantized: quantized)
        #expect(size.codebookBytes == 0)
        #expect(size.quantizedBytes == 500 + 80)
    }

    @Test func fp8HasAScalePerBlock() {
        let quantized = Self.quantized(count: 1000, bitWidth: 8, scheme: .fp8E4M3, scales: 10)
        #expect(SizeModel.layerSize(Self.fc, quantized: quantized).quantizedBytes == 1000 + 40)
    }

    @Test func floatLayersAndPrunedFloatLayers() {
        let layer = Self.layer("small", shape: [10, 10], bias: 10)
        let float = SizeModel.layerSize(layer, quantized: nil)
        #expect(float.encoding == .float)
        #expect(float.quantizedBytes == 400 + 40)
        #expect(float.floatBytes == 440)
        var pruned = Self.quantized(count: 100, bitWidth: 32, scales: 0, zeroCount: 95, pruning: .sparsity(0.95))
        pruned.settings.bitWidth = nil
        let sparse = SizeModel.layerSize(layer, quantized: pruned)
        #expect(sparse.encoding == .sparse)
        #expect(sparse.quantizedBytes == 13 + 5 * 4 + 40)
    }

    @Test func reportCountsEveryInitializerOnce() {
        let conv = Self.layer("conv", shape: [8, 1, 3, 3], bias: 8)  // 72 weights
        let fc = Self.layer("fc", shape: [10, 100], bias: 10)
        let initializers: [String: Tensor] = [
            "conv.weight": Tensor.zeros([8, 1, 3, 3]), "conv.bias": Tensor.zeros([8]),
            "fc.weight": Tensor.zeros([10, 100]), "fc.bias": Tensor.zeros([10]),
            "shape_constant": Tensor.zeros([4]),
        ]
        let report = SizeModel.report(
            layers: [conv, fc], quantized: ["fc": Self.quantized(count: 1000, bitWidth: 4, scales: 10)],
            allInitializers: initializers)
        #expect(report.layers.map(\.name) == ["conv", "fc"])
        #expect(report[layer: "conv"]?.quantizedBytes == 4 * 80)
        #expect(report[layer: "fc"]?.quantizedBytes == 540 + 40)
        #expect(report.otherInitializerBytes == 16)
        #expect(report.floatBytes == 4 * (72 + 8 + 1000 + 10 + 4))
        #expect(report.currentBytes == 320 + 580 + 16)
        #expect(report.compressionRatio == 4376.0 / 916.0)
        let shares = report.layers.map(\.share).reduce(0, +) + Double(report.otherInitializerBytes) / 916
        #expect(abs(shares - 1) < 1e-12)
        // δ = 1 − b/32 with b the weight-weighted mean width: 72 float weights (32) and 1000 at 4 bits.
        let meanBits = Double(72 * 32 + 1000 * 4) / 1072
        #expect(abs(report.meanValueBitWidth - meanBits) < 1e-12)
        #expect(abs(report.precisionLoss - (1 - meanBits / 32)) < 1e-12)
        #expect(report.precisionLossLabel == "δ = 1 − 5.88/32 = 81.6 %")
    }

    @Test func precisionLossIsOneMinusBitsOver32() {
        for bits in [1, 2, 4, 8, 16] {
            let fc = Self.layer("fc", shape: [10, 100], bias: 0)
            let report = SizeModel.report(
                layers: [fc], quantized: ["fc": Self.quantized(count: 1000, bitWidth: bits, scales: 10)],
                allInitializers: [:])
            #expect(report.meanValueBitWidth == Double(bits))
            #expect(report.precisionLoss == 1 - Double(bits) / 32)
            let percent = String(format: "%.1f", 100 - Double(bits) * 3.125)
            #expect(report.precisionLossLabel == "δ = 1 − \(bits)/32 = \(percent) %")
        }
    }

    @Test func allFloatModelHasRatioOne() {
        let fc = Self.layer("fc", shape: [2, 3], bias: 2)
        let report = SizeModel.report(
            layers: [fc], quantized: [:],
            allInitializers: ["fc.weight": Tensor.zeros([2, 3]), "fc.bias": Tensor.zeros([2])])
        #expect(report.floatBytes == 32 && report.currentBytes == 32 && report.compressionRatio == 1)
        #expect(report.precisionLoss == 0 && report.precisionLossLabel == "δ = 1 − 32/32 = 0.0 %")
        let empty = SizeModel.report(layers: [], quantized: [:], allInitializers: [:])
        #expect(empty.compressionRatio == 1 && empty.currentBytes == 0)
    }
}
