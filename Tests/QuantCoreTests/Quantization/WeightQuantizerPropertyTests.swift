import Testing
@testable import QuantCore

/// Properties every scheme must keep, swept over scheme × bit width × granularity on random weights.
@Suite struct WeightQuantizerPropertyTests {
    static let distributions: [WeightDistribution] = [.uniform, .heavyTailed, .withOutliers, .sparse, .positiveOnly]

    /// The codes a scheme may store at `bitWidth`.
    static func allowedCodes(_ scheme: Scheme, bitWidth: Int) -> ClosedRange<Int32> {
        switch scheme {
        case .symmetric, .symmetricFull, .asymmetric, .meanStd: AffineQuantizer.codeRange(scheme, bitWidth: bitWidth)
        case .powerOfTwo:
            -PowerOfTwoQuantizer.maxMagnitudeCode(
                bitWidth: bitWidth)...PowerOfTwoQuantizer.maxMagnitudeCode(bitWidth: bitWidth)
        case .fp8E4M3, .fp8E5M2, .kmeans, .nf4: 0...((Int32(1) << bitWidth) - 1)
        case .binary, .ternary: -1...1
        case .fixedPoint: FixedPointQuantizer.codeRange(bitWidth: bitWidth)
        }
    }

    @Test(arguments: QuantizationTestData.schemeBitWidths, QuantizationTestData.granularities)
    func invariantsHold(schemeBits: (Scheme, Int), granularity: Granularity) throws {
        let (scheme, bits) = schemeBits
        var seed: UInt64 = 100
        for (shape, axis) in QuantizationTestData.layouts {
            for distribution in Self.distributions {
                seed += 1
                var tensor = QuantizationTestData.tensor(shape, distribution, seed: seed)
                let zeroIndices = [1, tensor.count / 2]
                for i in zeroIndices { tensor.storage[i] = 0 }
                let mask = QuantizationTestData.mask(tensor.count, fraction: 0.3, seed: seed)
                for prunedMask in [nil, mask] {
                    let result = try QuantizationTestData.quantize(
                        tensor, axis: axis, scheme: scheme, bitWidth: bits, granularity: granularity, mask: prunedMask)
                    let context =
                        "\(scheme) \(bits) bits \(granularity) \(shape) \(distribution) pruned: \(prunedMask != nil)"
                    try checkInvariants(result, tensor: tensor, mask: prunedMask, context: context)
                    // Zero maps to exactly 0 (k-means and binary document why they cannot promise it).
                    if scheme != .kmeans && scheme != .binary {
                        #expect(zeroIndices.allSatisfy { result.dequantized[$0] == 0 }, "\(context)")
                    }
                }
            }
        }
    }

    private func checkInvariants(_ result: QuantizedWeights, tensor: Tensor, mask: [Bool]?, context: String) throws {
        let scheme = result.settings.scheme, bits = result.bitWidth
        #expect(result.codes.count == tensor.count && result.dequantized.count == tensor.count, "\(context)")
        #expect(result.dequantized.allSatisfy { $0.isFinite }, "\(context)")
        // Decoding the stored codes alone reproduces the dequantized values exactly.
        #expect(try result.decodeCodes() == result.dequantized, "\(context)")
        let codes = Self.allowedCodes(scheme, bitWidth: bits)
        #expect(result.codes.allSatisfy { codes.contains($0) }, "\(context)")
        if let mask {
            #expect(result.prunedMask == mask, "\(context)")
            #expect(
                mask.indices.allSatisfy { !mask[$0] || result.dequantized[$0] == 0 }, "\(context): pruned weight not 0")
        }
        if scheme == .kmeans {
            #expect(result.blockCount == 1 && result.codebook.count == 1 << bits, "\(context)")
            return
        }
        let layout = try result.blockLayout()
        #expect(result.blockCount == layout.blockCount && result.scales.count == layout.blockCount, "\(context)")
        guard scheme.isAffine else { return }
        let hasZeroPoint = scheme == .asymmetric || scheme == .meanStd
        for i in tensor.storage.indices {
            let block = layout.blockIndex(ofElement: i)
            let scale = result.scales[block]
            let zeroPoint = hasZeroPoint ? result.zeroPoints[block] : 0
            // On the grid: x' / scale is an integer k with k + zeroPoint a valid code.
            let k = result.dequantized[i] / scale
            #expect(
                abs(k - k.rounded()) <= 1e-3 + 1e-6 * abs(k) && codes.contains(Int32(k.rounded()) + zeroPoint),
                "\(context)")
            // Inside the clipping range (unsaturated codes; every code with min-max and no pruning
            // besides mean-std) the error is at most half a step.
            let x = (mask?[i] ?? false) ? 0 : tensor.storage[i]
            let isSaturated = result.codes[i] == codes.lowerBound || result.codes[i] == codes.upperBound
            if !isSaturated || scheme != .meanStd {
                #expect(abs(x - result.dequantized[i]) <= scale / 2 * (1 + 1e-4) + 3e-7 * abs(x), "\(context): x \(x)")
            }
        }
    }

    @Test(arguments: QuantizationTestData.affineBitWidths.filter { $0.1 <= 8 })
    func perChannelBeatsPerTensor(schemeBits: (Scheme, Int)) throws {
        let (scheme, bits) = schemeBits
        for (shape, axis) in QuantizationTestData.layouts {
            // Channels with very different ranges.
            var tensor = QuantizationTestData.tensor(shape, .gaussian, seed: 77)
            let layout = try BlockLayout(shape: shape, outputChannelAxis: axis, granularity: .channel)
            for i in tensor.storage.indices { tensor.storage[i] *= Float(1 + layout.blockIndex(ofElement: i) * 3) }
            let mse: (Granularity) throws -> Double = { granularity in
                let result = try QuantizationTestData.quantize(
                    tensor, axis: axis, scheme: scheme, bitWidth: bits, granularity: granularity)
                return QuantizationTestData.meanSquaredError(result.dequantized, tensor.storage)
            }
            #expect(try mse(.channel) <= mse(.tensor), "\(scheme) \(bits) \(shape)")
        }
    }

    @Test(
        arguments: QuantizationTestData.schemeBitWidths.filter { [1, 2, 4, 8].contains($0.1) },
        QuantizationTestData.granularities)
    func matMulColumnsEqualTransposedRows(schemeBits: (Scheme, Int), granularity: Granularity) throws {
        // A MatMul weight [in, out] (axis 1, strided blocks) quantizes like its transpose [out, in] (axis 0).
        let (scheme, bits) = schemeBits
        let (inputs, outputs) = (21, 4)
        let matMul = QuantizationTestData.tensor([inputs, outputs], .laplace, seed: 8)
        var transposed = Tensor(shape: [outputs, inputs])
        for i in 0..<inputs { for o in 0..<outputs { transposed[o, i] = matMul[i, o] } }
        let a = try QuantizationTestData.quantize(
            matMul, axis: 1, scheme: scheme, bitWidth: bits, granularity: granularity)
        let b = try QuantizationTestData.quantize(
            transposed, axis: 0, scheme: scheme, bitWidth: bits, granularity: granularity)
        #expect(a.scales == b.scales && a.zeroPoints == b.zeroPoints && a.codebook == b.codebook)
        if granularity == .tensor { return }  // one block in flat order: the orders differ
        for i in 0..<inputs {
            for o in 0..<outputs {
                #expect(a.codes[i * outputs + o] == b.codes[o * inputs + i])
                #expect(a.dequantized[i * outputs + o] == b.dequantized[o * inputs + i])
            }
        }
    }

    @Test(arguments: Scheme.allCases)
    func constantAndSingleElementTensors(scheme: Scheme) throws {
        let bits = scheme.defaultBitWidth
        for value: Float in [0, 0.37, -5] {
            for shape in [[1], [1, 1], [3, 4]] {
                let tensor = Tensor(shape: shape, repeating: value)
                let result = try QuantizationTestData.quantize(tensor, scheme: scheme, bitWidth: bits)
                #expect(result.dequantized.allSatisfy { $0.isFinite } && result.scales.allSatisfy { $0.isFinite })
                if value == 0 {
                    #expect(result.dequantized.allSatisfy { $0 == 0 })
                    // Fixed point keeps a step 2^-n: the default n for an all-zero block is b − 1.
                    let zeroScale = scheme == .fixedPoint ? FixedPointQuantizer.step(fractionBits: bits - 1) : 1
                    if scheme.isAffine { #expect(result.scales.allSatisfy { $0 == zeroScale }) }
                }
                // A single value (or a constant block) is its own range, so every scheme reproduces it,
                // except symmetric-full, which maps ±max to ±127.5 steps (8 bits), rounded to −128 and
                // saturated to 127: half a step off at both ends; and fixed point, whose step 2^-n is
                // not the value's range: within half a step.
                let tolerance =
                    scheme == .symmetricFull
                    ? abs(value) / 200 : scheme == .fixedPoint ? (result.scales.first ?? 1) / 2 : 1e-6 * abs(value)
                #expect(result.dequantized.allSatisfy { abs($0 - value) <= tolerance }, "\(scheme) \(value)")
            }
        }
    }

    @Test(arguments: Scheme.allCases)
    func rejectsBitWidthsTheSchemeCannotStore(scheme: Scheme) {
        let tensor = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        for bits in [0, -1, 17, 32] + (1...16).filter({ !scheme.allowedBitWidths.contains($0) }) {
            #expect(throws: QuantizationError.unsupportedBitWidth(scheme: scheme, bitWidth: bits)) {
                try QuantizationTestData.quantize(tensor, scheme: scheme, bitWidth: bits)
            }
        }
    }

    @Test func floatSettingsKeepTheWeights() throws {
        let tensor = QuantizationTestData.tensor([4, 5], .gaussian, seed: 1)
        let float = try QuantizationTestData.quantize(tensor, scheme: .symmetric, bitWidth: nil)
        #expect(float.dequantized == tensor.storage && float.codes.isEmpty && float.bitWidth == 32)
        #expect(try float.decodeCodes() == tensor.storage)
        let mask = QuantizationTestData.mask(20, fraction: 0.5, seed: 2)
        let pruned = try QuantizationTestData.quantize(tensor, scheme: .symmetric, bitWidth: nil, mask: mask)
        #expect(pruned.dequantized == zip(tensor.storage, mask).map { $1 ? 0 : $0 })
        // An all-false mask counts as no pruning.
        let unpruned = try QuantizationTestData.quantize(
            tensor, scheme: .symmetric, bitWidth: 8, mask: [Bool](repeating: false, count: 20))
        #expect(unpruned.prunedMask.isEmpty)
    }

    @Test func rejectsBadInputs() {
        let tensor = Tensor(shape: [2, 2], storage: [1, .nan, 3, 4])
        do {
            _ = try QuantizationTestData.quantize(tensor, scheme: .symmetric, bitWidth: 8)
            Issue.record("a NaN weight was accepted")
        } catch {
            guard case .nonFiniteWeight(let index, let value) = error as? QuantizationError else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(index == 1 && value.isNaN)
        }
        let finite = Tensor(shape: [2, 2], storage: [1, 2, 3, .infinity])
        #expect(throws: QuantizationError.nonFiniteWeight(index: 3, value: .infinity)) {
            try QuantizationTestData.quantize(finite, scheme: .nf4, bitWidth: 4)
        }
        #expect(throws: QuantizationError.prunedMaskCountMismatch(expected: 4, actual: 3)) {
            try QuantizationTestData.quantize(finite, scheme: .nf4, bitWidth: 4, mask: [true, false, false])
        }
        #expect(throws: QuantizationError.invalidOutputChannelAxis(axis: 2, shape: [2, 2])) {
            try QuantizationTestData.quantize(finite, axis: 2, scheme: .nf4, bitWidth: 4)
        }
        #expect(
            QuantizationError.unsupportedBitWidth(scheme: .nf4, bitWidth: 3).description
                == "scheme 'nf4' stores 4-bit codes, not 3")
        #expect(
            QuantizationError.unsupportedBitWidth(scheme: .symmetric, bitWidth: 1).description
                == "scheme 'symmetric' takes 2…16 bits, got 1")
    }
}
