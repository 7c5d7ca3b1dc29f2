/// Quantizes one layer's weights with its `LayerSettings`: the engine's single entry point for weights.
///
/// Steps: validate; zero the pruned weights; split into blocks (`BlockLayout`); give each block
/// to its scheme (one file per scheme under `Schemes/`, each documenting its formula, codes,
/// storage and bits per weight); force pruned weights to their scheme's zero code.
///
/// Which settings each scheme reads:
///
/// | scheme | granularity | range method | stochastic rounding |
/// | --- | --- | --- | --- |
/// | symmetric, symmetric-full, asymmetric | yes | yes | yes |
/// | mean-std | yes | no (μ ± 3σ) | yes |
/// | power-of-two, fp8-e4m3, fp8-e5m2, nf4 | yes | yes (clips `max |w|`) | no |
/// | binary, ternary | yes | no | no |
/// | fixed-point (reads `fractionBits`) | yes (per-block default `n`) | no | yes |
/// | kmeans | no (one codebook per layer) | no | no |
///
/// Stochastic rounding draws one `u` per weight from `SplitMix64(seed)` in flat (row-major)
/// order of the whole tensor, so a seed always gives the same codes.
public enum WeightQuantizer {
    /// Quantizes `weights` as `settings` say, keeping weights marked in `prunedMask` at exactly 0.
    ///
    /// With `settings.bitWidth == nil` the result holds the float weights (pruned ones zeroed),
    /// `codes` empty and `bitWidth` 32. Ranges and statistics are computed over each block as
    /// pruned (pruned weights count as 0).
    ///
    /// - Parameters:
    ///   - weights: the layer's weight, e.g. `[out, in, kH, kW]`, `[out, in]` or `[in, out]`.
    ///   - outputChannelAxis: `Layer.outputChannelAxis` (0 for Conv and Gemm with transB, 1 for MatMul).
    ///   - prunedMask: `true` for each pruned weight (flat order), or `nil`.
    /// - Throws: `QuantizationError` for a bit width the scheme cannot store, a group size below 1,
    ///   an output-channel axis outside the shape, a percentile outside (0, 100], a mask of the
    ///   wrong length, or a NaN or infinite weight.
    public static func quantize(
        _ weights: Tensor, outputChannelAxis: Int, settings: LayerSettings, prunedMask: [Bool]? = nil
    ) throws -> QuantizedWeights {
        let layout = try BlockLayout(
            shape: weights.shape, outputChannelAxis: outputChannelAxis, granularity: settings.granularity)
        if let prunedMask, prunedMask.count != weights.count {
            throw QuantizationError.prunedMaskCountMismatch(expected: weights.count, actual: prunedMask.count)
        }
        let mask = (prunedMask?.contains(true) ?? false) ? prunedMask : nil
        var values = weights.storage
        if let mask {
            values.withUnsafeMutableBufferPointer { values in
                for i in values.indices { values[i] = mask[i] ? 0 : values[i] }  // a select, not a branch
            }
        }

        guard let bitWidth = settings.bitWidth else {
            return QuantizedWeights(
                settings: settings, shape: weights.shape, dequantized: values, codes: [], bitWidth: 32,
                scales: [], zeroPoints: [], codebook: [], blockCount: 0, prunedMask: mask ?? [],
                outputChannelAxis: outputChannelAxis)
        }
        try validate(settings, bitWidth: bitWidth)
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError.nonFiniteWeight(index: index, value: values[index])
        }

        var result = quantizeValid(values, layout: layout, settings: settings, bitWidth: bitWidth, mask: mask)
        if let mask {
            let zeroPoints = result.zeroPoints
            result.dequantized.withUnsafeMutableBufferPointer { dequantized in
                result.codes.withUnsafeMutableBufferPointer { codes in
                    // Selects rather than branches: pruned positions are as unpredictable as coin flips.
                    let fixedZeroCode = zeroCode(settings.scheme, zeroPoint: 0)
                    for i in dequantized.indices {
                        dequantized[i] = mask[i] ? 0 : dequantized[i]
                        codes[i] = mask[i] ? fixedZeroCode : codes[i]
                    }
                    guard !zeroPoints.isEmpty else { return }
                    for i in dequantized.indices where mask[i] {
                        codes[i] = zeroCode(settings.scheme, zeroPoint: zeroPoints[layout.blockIndex(ofElement: i)])
                    }
                }
            }
        }
        result.prunedMask = mask ?? []
        return result
    }

    /// Checks the bit width against the scheme and the percentile of a percentile range.
    static func validate(_ settings: LayerSettings, bitWidth: Int) throws {
        guard settings.scheme.allowedBitWidths.contains(bitWidth) else {
            throw QuantizationError.unsupportedBitWidth(scheme: settings.scheme, bitWidth: bitWidth)
        }
        if case .percentile(let p) = settings.range, !(p > 0 && p <= 100) {
            throw QuantizationError.invalidPercentile(p)
        }
        if settings.scheme.usesFractionBits, let n = settings.fractionBits,
            !FixedPointQuantizer.fractionBitsRange.contains(n)
        {
            throw QuantizationError.invalidFractionBits(n)
        }
    }

    /// The code a pruned weight stores: the one that decodes to exactly 0.
    static func zeroCode(_ scheme: Scheme, zeroPoint: Int32) -> Int32 {
        switch scheme {
        case .symmetric, .symmetricFull, .asymmetric, .meanStd: zeroPoint
        case .nf4: 7
        default: 0  // power-of-two, FP8 (+0), binary and ternary (0 · α), k-means (reserved code 0)
        }
    }

    /// Quantizes validated, finite, already pruned values.
    private static func quantizeValid(
        _ values: [Float], layout: BlockLayout, settings: LayerSettings, bitWidth: Int, mask: [Bool]?
    ) -> QuantizedWeights {
        let scheme = settings.scheme
        func record(
            codes: [Int32], dequantized: [Float], scales: [Float], zeroPoints: [Int32], codebook: [Float],
            blockCount: Int
        ) -> QuantizedWeights {
            QuantizedWeights(
                settings: settings, shape: layout.shape, dequantized: dequantized, codes: codes, bitWidth: bitWidth,
                scales: scales, zeroPoints: zeroPoints, codebook: codebook, blockCount: blockCount, prunedMask: [],
                outputChannelAxis: layout.outputChannelAxis)
        }
        if scheme == .kmeans {
            let (codes, codebook) = KMeansQuantizer.quantize(values, isPruned: mask, bitWidth: bitWidth)
            return record(
                codes: codes, dequantized: codes.map { codebook[Int($0)] }, scales: [], zeroPoints: [],
                codebook: codebook, blockCount: 1)
        }
        var noise: [Float]? = nil
        if scheme.isAffine, case .stochastic(let seed) = settings.rounding {
            var generator = SplitMix64(seed: seed)
            noise = values.map { _ in generator.nextFloat(in: 0...1) }
        }
        let output = BlockRunner(layout: layout).run(values: values, noise: noise, isPruned: mask) { block in
            switch scheme {
            case .symmetric, .symmetricFull, .asymmetric:
                AffineQuantizer.quantizeBlock(block, scheme: scheme, bitWidth: bitWidth, range: settings.range)
            case .meanStd: MeanStdQuantizer.quantizeBlock(block, bitWidth: bitWidth)
            case .powerOfTwo: PowerOfTwoQuantizer.quantizeBlock(block, bitWidth: bitWidth, range: settings.range)
            case .fp8E4M3: FP8Quantizer.quantizeBlock(block, format: .e4m3, range: settings.range)
            case .fp8E5M2: FP8Quantizer.quantizeBlock(block, format: .e5m2, range: settings.range)
            case .nf4: NF4Quantizer.quantizeBlock(block, range: settings.range)
            case .binary: BinaryQuantizer.quantizeBlock(block)
            case .ternary: TernaryQuantizer.quantizeBlock(block)
            case .fixedPoint:
                FixedPointQuantizer.quantizeBlock(block, bitWidth: bitWidth, fractionBits: settings.fractionBits)
            case .kmeans: BlockParameters(scale: 1)  // handled above
            }
        }
        let hasZeroPoint = scheme == .asymmetric || scheme == .meanStd
        return record(
            codes: output.codes, dequantized: output.dequantized, scales: output.parameters.map(\.scale),
            zeroPoints: hasZeroPoint ? output.parameters.map(\.zeroPoint) : [],
            codebook: scheme == .nf4 ? NF4Quantizer.levels : [], blockCount: layout.blockCount)
    }
}
