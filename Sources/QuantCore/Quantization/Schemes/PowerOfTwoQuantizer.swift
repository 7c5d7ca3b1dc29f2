/// Power-of-two ("log") quantization: a sign and an exponent, `x ≈ sign(q) · scale · 2^(|q| − M)`.
///
/// - `b` bits give `M = 2^(b−1) − 1` magnitudes: code `q ∈ −M … M`, where `q = 0` is exactly 0 and
///   `|q| = m ≥ 1` is the level `scale · 2^(m − M)`, i.e. `±scale · 2^−k` for `k = 0 … 2^(b−1) − 2`.
/// - `scale` = the block's clipping magnitude (`max |w|` with min-max range; percentile and MSE
///   ranges apply), so the largest level is the block's absmax; larger weights saturate to it.
///   A zero block gets scale 1.
/// - Rounding: to the nearer level in *linear* distance (not in the log domain), so between
///   `2^e` and `2^(e+1)` (relative to scale) the boundary is `1.5 · 2^e`, and between 0 and the
///   smallest level `L` it is `L / 2`. Ties go to the larger magnitude. Stochastic rounding is
///   not applied (nearest always).
/// - Storage: sign-magnitude in `b` bits (sign bit, then the `b − 1`-bit magnitude `m`; the
///   negative-zero pattern is unused) and a float32 scale per block: `b + 32 / blockSize` bits per weight.
///
/// Worked table, 3 bits (`M = 3`, levels 1, 0.5, 0.25 relative to scale), scale 1:
///
/// | x | q | x' |
/// | --- | --- | --- |
/// | 0.8 | 3 | 1.0 |
/// | 0.75 | 3 (tie → larger) | 1.0 |
/// | 0.7 | 2 | 0.5 |
/// | −0.3 | −1 | −0.25 |
/// | 0.1 | 0 (below 0.125) | 0 |
enum PowerOfTwoQuantizer {
    /// The largest magnitude code `M = 2^(b−1) − 1`.
    static func maxMagnitudeCode(bitWidth: Int) -> Int32 { (Int32(1) << (bitWidth - 1)) - 1 }

    /// The code of `x` for a block with `scale`: nearest level in linear distance, ties to the larger magnitude.
    static func quantize(_ x: Float, scale: Float, bitWidth: Int) -> Int32 {
        let maxCode = Int(maxMagnitudeCode(bitWidth: bitWidth))
        let ratio = abs(x) / scale  // in [0, 1] inside the clipping range
        guard ratio > 0 else { return 0 }
        guard ratio.isFinite else { return x < 0 ? -Int32(maxCode) : Int32(maxCode) }
        // ratio = significand · 2^exponent, significand in [1, 2): the candidates are 2^exponent
        // and 2^(exponent + 1), whose midpoint is 1.5 · 2^exponent. For normal floats both come
        // straight from the bits (significand ≥ 1.5 ⟺ the top mantissa bit is set).
        let bits = ratio.bitPattern
        let exponentField = Int(bits >> 23)
        let exponent =
            exponentField > 0
            ? exponentField - 127 + (bits & 0x40_0000 != 0 ? 1 : 0)
            : Int(ratio.exponent) + (ratio.significand >= 1.5 ? 1 : 0)
        var magnitude = min(exponent + maxCode, maxCode)
        if magnitude < 1 {
            // Below the smallest level L = 2^(1 − M): the choice is L or 0, split at L / 2.
            let smallest = Float(sign: .plus, exponent: 1 - maxCode, significand: 1)
            magnitude = ratio >= smallest / 2 ? 1 : 0
        }
        return x < 0 ? -Int32(magnitude) : Int32(magnitude)
    }

    /// The value of code `q`: `sign(q) · scale · 2^(|q| − M)`, 0 for `q = 0`.
    static func dequantize(_ q: Int32, scale: Float, bitWidth: Int) -> Float {
        guard q != 0 else { return 0 }
        let exponent = Int(q.magnitude) - Int(maxMagnitudeCode(bitWidth: bitWidth))  // −126…0 for valid codes
        let level =
            (-126...127).contains(exponent)
            ? Float(bitPattern: UInt32(exponent + 127) << 23)
            : Float(sign: .plus, exponent: exponent, significand: 1)
        return q < 0 ? -level * scale : level * scale
    }

    /// The reference rounding: scan every level and keep the nearest (ties to the larger magnitude).
    static func referenceQuantize(_ x: Float, scale: Float, bitWidth: Int) -> Int32 {
        let ratio = abs(x) / scale
        var best: (code: Int32, distance: Float) = (0, ratio)
        for magnitude in 1...maxMagnitudeCode(bitWidth: bitWidth) {
            let level = Float(
                sign: .plus, exponent: Int(magnitude - maxMagnitudeCode(bitWidth: bitWidth)), significand: 1)
            let distance = abs(ratio - level)
            if distance <= best.distance { best = (magnitude, distance) }
        }
        return x < 0 ? -best.code : best.code
    }

    /// Quantizes one block: scale from the clipping magnitude, then the nearest level per weight.
    static func quantizeBlock(_ block: BlockBuffers, bitWidth: Int, range: RangeMethod) -> BlockParameters {
        let magnitude = ClippingRange.magnitude(block.values, method: range) { magnitude in
            let scale = blockScale(magnitude)
            return block.values.reduce(0.0) { total, x in
                let error = Double(
                    x - dequantize(quantize(x, scale: scale, bitWidth: bitWidth), scale: scale, bitWidth: bitWidth))
                return total + error * error
            }
        }
        let scale = blockScale(magnitude)
        for i in block.values.indices {
            block.codes[i] = quantize(block.values[i], scale: scale, bitWidth: bitWidth)
            block.dequantized[i] = dequantize(block.codes[i], scale: scale, bitWidth: bitWidth)
        }
        return BlockParameters(scale: scale)
    }

    /// The scale for a clipping magnitude: the magnitude itself, or 1 when it is 0.
    static func blockScale(_ magnitude: Float) -> Float { magnitude > 0 && magnitude.isFinite ? magnitude : 1 }
}
