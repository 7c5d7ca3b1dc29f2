/// QLoRA's 4-bit NormalFloat (NF4): 16 fixed levels on `[−1, 1]` times a per-block absmax,
/// `x ≈ scale · level[q]`.
///
/// - Levels: the exact published constants (`levels`), quantiles of a standard normal
///   normalized to `[−1, 1]`, with an exact 0 at code 7.
/// - Per block `scale` = the clipping magnitude, `max |w|` with the min-max range (percentile and
///   MSE apply); a zero block gets scale 1. QLoRA uses blocks of 64 (`.group(size: 64)`); tensor
///   and channel granularity use those blocks instead.
/// - Code: the index of the level nearest to `x / scale` (ties to the lower level, as
///   bitsandbytes' `>` comparisons do); weights beyond the range saturate to ±1 · scale.
///   Stochastic rounding is not applied. The codebook of `QuantizedWeights` holds the 16 levels.
/// - Storage: 4-bit codes and a float32 absmax per block: `4 + 32 / blockSize` bits per weight
///   (4.5 for blocks of 64; QLoRA's double quantization of the absmax is not modelled).
///
/// Worked table, block absmax 2 (scale 2):
///
/// | x | x / scale | q | x' |
/// | --- | --- | --- | --- |
/// | 2.0 | 1.0 | 15 | 2.0 |
/// | 0.5 | 0.25 | 10 | 0.4922 |
/// | 0.0 | 0.0 | 7 | 0.0 |
/// | −2.0 | −1.0 | 0 | −2.0 |
enum NF4Quantizer {
    /// The 16 NormalFloat levels, ascending (QLoRA, Dettmers et al. 2023, appendix E).
    static let levels: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    ]

    /// The code of the level nearest to `normalized` (ties to the lower level).
    static func quantize(normalized: Float) -> Int32 {
        var best: (code: Int32, distance: Float) = (0, abs(normalized - levels[0]))
        for code in 1..<levels.count {
            let distance = abs(normalized - levels[code])
            if distance < best.distance { best = (Int32(code), distance) }
        }
        return best.code
    }

    /// Quantizes one block: scale from the clipping magnitude, then the nearest level per weight.
    static func quantizeBlock(_ block: BlockBuffers, range: RangeMethod) -> BlockParameters {
        let magnitude = ClippingRange.magnitude(block.values, method: range) { magnitude in
            let scale = blockScale(magnitude)
            return block.values.reduce(0.0) { total, x in
                let error = Double(x - levels[Int(quantize(normalized: x / scale))] * scale)
                return total + error * error
            }
        }
        let scale = blockScale(magnitude)
        for i in block.values.indices {
            let code = quantize(normalized: block.values[i] / scale)
            block.codes[i] = code
            block.dequantized[i] = levels[Int(code)] * scale
        }
        return BlockParameters(scale: scale)
    }

    /// The absmax scale, or 1 for a zero magnitude.
    static func blockScale(_ magnitude: Float) -> Float { magnitude > 0 && magnitude.isFinite ? magnitude : 1 }
}
