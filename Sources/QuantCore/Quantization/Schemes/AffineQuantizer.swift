import CKernels

/// Affine (uniform) quantization, exactly ONNX `QuantizeLinear` / `DequantizeLinear`:
/// `x ≈ scale · (q − zeroPoint)`.
///
/// - Quantize: `q = saturate(roundHalfToEven(x / scale) + zeroPoint)`, computed in `Float` as
///   onnxruntime does, dividing (not multiplying by `1 / scale`: the two differ on ties).
/// - Dequantize: `x' = Float(q − zeroPoint) · scale`.
/// - Code ranges for `b` bits and the block's clipping range `[lo, hi]` (from the `RangeMethod`):
///
///   | scheme | `qmin … qmax` | `scale` | `zeroPoint` |
///   | --- | --- | --- | --- |
///   | symmetric | `−(2^(b−1) − 1) … 2^(b−1) − 1` | `max(|lo|, |hi|) / qmax` | 0 |
///   | symmetric-full | `−2^(b−1) … 2^(b−1) − 1` | `max(|lo|, |hi|) / ((qmax − qmin) / 2)` | 0 |
///   | asymmetric | `0 … 2^b − 1` | `(hi' − lo') / (qmax − qmin)`, `lo' = min(lo, 0)`, `hi' = max(hi, 0)` | `saturate(qmin − roundHalfToEven(lo' / scale))` |
///
///   A zero range (or a scale that underflows to 0) gives scale 1, as PyTorch's observers do.
///   Zero is always exactly representable (`q = zeroPoint`). Symmetric-full, like PyTorch, puts
///   `±max |w|` at `±(2^b − 1) / 2` steps, which rounds to `−2^(b−1)` and saturates to
///   `2^(b−1) − 1`: both ends are half a step off.
/// - Storage: one `b`-bit code per weight, a float32 scale per block, and for asymmetric a `b`-bit
///   zero point per block. Effective bits per weight: `b + 32 / blockSize` (symmetric) or
///   `b + (32 + b) / blockSize` (asymmetric).
/// - Stochastic rounding replaces `roundHalfToEven(x / scale)` by `floor(x / scale + u)`, `u`
///   uniform in `[0, 1)`.
///
/// Worked table, symmetric 8-bit over the block `[−1.27, 0.5, 1.27]` (scale = 1.27 / 127 = 0.01):
///
/// | x | x / scale | q | x' |
/// | --- | --- | --- | --- |
/// | −1.27 | −127 | −127 | −1.27 |
/// | 0.5 | 50 | 50 | 0.5 |
/// | 1.27 | 127 | 127 | 1.27 |
/// | 0.025 | 2.5 | 2 (tie → even) | 0.02 |
/// | 0.035 | 3.5 | 4 (tie → even) | 0.04 |
enum AffineQuantizer {
    /// The scale, zero point and code range of one block.
    struct Parameters: Equatable {
        /// The step between adjacent levels.
        var scale: Float
        /// The code that represents 0.0.
        var zeroPoint: Int32
        /// The smallest and largest code.
        var codeRange: ClosedRange<Int32>
    }

    /// The codes `qmin … qmax` an affine scheme stores in `bitWidth` bits.
    static func codeRange(_ scheme: Scheme, bitWidth: Int) -> ClosedRange<Int32> {
        let half = Int32(1) << (bitWidth - 1)
        switch scheme {
        case .symmetricFull: return -half...(half - 1)
        case .asymmetric, .meanStd: return 0...((Int32(1) << bitWidth) - 1)
        default: return -(half - 1)...(half - 1)
        }
    }

    /// The parameters that map the clipping range `[lower, upper]` onto the scheme's codes.
    ///
    /// Mean-std uses the asymmetric formula.
    static func parameters(_ scheme: Scheme, bitWidth: Int, lower: Float, upper: Float) -> Parameters {
        let codes = codeRange(scheme, bitWidth: bitWidth)
        let qmin = Float(codes.lowerBound), qmax = Float(codes.upperBound)
        switch scheme {
        case .asymmetric, .meanStd:
            let low = min(lower, 0), high = max(upper, 0)
            var scale = (high - low) / (qmax - qmin)
            if !scale.isFinite { scale = high / (qmax - qmin) - low / (qmax - qmin) }  // the width overflows Float
            guard scale > 0, scale.isFinite else {
                return Parameters(scale: 1, zeroPoint: codes.lowerBound, codeRange: codes)
            }
            let zeroPoint = clamp(qmin - (low / scale).rounded(.toNearestOrEven), qmin, qmax)
            return Parameters(scale: scale, zeroPoint: Int32(zeroPoint), codeRange: codes)
        default:
            let magnitude = max(abs(lower), abs(upper))
            let levels = scheme == .symmetricFull ? (qmax - qmin) / 2 : qmax
            let scale = magnitude / levels
            guard scale > 0, scale.isFinite else { return Parameters(scale: 1, zeroPoint: 0, codeRange: codes) }
            return Parameters(scale: scale, zeroPoint: 0, codeRange: codes)
        }
    }

    /// The code of `x`: `saturate(roundHalfToEven(x / scale) + zeroPoint)`.
    @inline(__always)
    static func quantize(_ x: Float, _ parameters: Parameters) -> Int32 {
        let q = (x / parameters.scale).rounded(.toNearestOrEven) + Float(parameters.zeroPoint)
        return Int32(clamp(q, Float(parameters.codeRange.lowerBound), Float(parameters.codeRange.upperBound)))
    }

    /// The code of `x` with stochastic rounding: `saturate(floor(x / scale + noise) + zeroPoint)`, `noise` in `[0, 1)`.
    @inline(__always)
    static func quantize(_ x: Float, _ parameters: Parameters, noise: Float) -> Int32 {
        let q = (x / parameters.scale + noise).rounded(.down) + Float(parameters.zeroPoint)
        return Int32(clamp(q, Float(parameters.codeRange.lowerBound), Float(parameters.codeRange.upperBound)))
    }

    /// The value of code `q`: `Float(q − zeroPoint) · scale`.
    @inline(__always)
    static func dequantize(_ q: Int32, _ parameters: Parameters) -> Float {
        Float(q - parameters.zeroPoint) * parameters.scale
    }

    /// Quantizes one block: picks its clipping range with `range`, then codes every weight.
    static func quantizeBlock(
        _ block: BlockBuffers, scheme: Scheme, bitWidth: Int, range: RangeMethod
    ) -> BlockParameters {
        let (lower, upper) = ClippingRange.affine(block.values, scheme: scheme, bitWidth: bitWidth, method: range)
        let parameters = parameters(scheme, bitWidth: bitWidth, lower: lower, upper: upper)
        code(block, with: parameters)
        return BlockParameters(scale: parameters.scale, zeroPoint: parameters.zeroPoint)
    }

    /// Writes codes and decoded values for a block with known parameters (nearest-even or stochastic).
    static func code(_ block: BlockBuffers, with parameters: Parameters) {
        let values = block.values, codes = block.codes, dequantized = block.dequantized
        if let noise = block.noise {
            for i in values.indices {
                codes[i] = quantize(values[i], parameters, noise: noise[i])
                dequantized[i] = dequantize(codes[i], parameters)
            }
        } else if let source = values.baseAddress, let codeBase = codes.baseAddress,
            let valueBase = dequantized.baseAddress
        {
            // The vectorized loop (CKernels), bit for bit `quantize` then `dequantize`; tested
            // against `referenceCode`.
            ck_affine_code(
                source, values.count, parameters.scale, parameters.zeroPoint, parameters.codeRange.lowerBound,
                parameters.codeRange.upperBound, codeBase, valueBase)
        }
    }

    /// The plain loop `code` replaces for nearest-even rounding: its specification.
    static func referenceCode(_ block: BlockBuffers, with parameters: Parameters) {
        for i in block.values.indices {
            block.codes[i] = quantize(block.values[i], parameters)
            block.dequantized[i] = dequantize(block.codes[i], parameters)
        }
    }

    /// Sum of squared quantize-dequantize errors of `values` under `parameters` (nearest-even): the reference.
    static func referenceSquaredError(_ values: UnsafeBufferPointer<Float>, _ parameters: Parameters) -> Double {
        var total: Double = 0
        for x in values {
            let error = Double(x - dequantize(quantize(x, parameters), parameters))
            total += error * error
        }
        return total
    }

    /// `referenceSquaredError` with 8 lanes at a time (the MSE range search calls it 100 times per
    /// block). Each lane computes the same quantize-dequantize in `Float`; partial sums of 8 lanes
    /// are added in `Double`, so it agrees with the reference up to summation order.
    static func squaredError(_ values: UnsafeBufferPointer<Float>, _ parameters: Parameters) -> Double {
        guard let base = values.baseAddress else { return 0 }
        let scale = SIMD8<Float>(repeating: parameters.scale)
        let zeroPoint = SIMD8<Float>(repeating: Float(parameters.zeroPoint))
        let lowest = SIMD8<Float>(repeating: Float(parameters.codeRange.lowerBound))
        let highest = SIMD8<Float>(repeating: Float(parameters.codeRange.upperBound))
        var total: Double = 0
        var start = 0
        while start + 8 <= values.count {
            let x = UnsafeRawPointer(base + start).loadUnaligned(as: SIMD8<Float>.self)
            let q = pointwiseMin(pointwiseMax((x / scale).rounded(.toNearestOrEven) + zeroPoint, lowest), highest)
            let error = x - (q - zeroPoint) * scale
            total += Double((error * error).sum())
            start += 8
        }
        return total + referenceSquaredError(UnsafeBufferPointer(rebasing: values[start...]), parameters)
    }

    /// `value` limited to `[lower, upper]`; a NaN `value` becomes `lower` (so converting it never traps).
    @inline(__always)
    static func clamp(_ value: Float, _ lower: Float, _ upper: Float) -> Float {
        value > upper ? upper : (value >= lower ? value : lower)
    }
}
