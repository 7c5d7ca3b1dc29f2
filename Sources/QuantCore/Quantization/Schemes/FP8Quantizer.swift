/// Scaled FP8 quantization (OCP E4M3 or E5M2, see `FP8Format`): `x ≈ scale · fp8(q)`.
///
/// - Per block `scale = magnitude / largestFinite` (448 for E4M3, 57344 for E5M2), where the
///   magnitude is `max |w|` with the min-max range (percentile and MSE ranges apply), so the
///   block's absmax maps to the format's largest value. A zero block gets scale 1.
/// - Code: the 8-bit pattern `encode(x / scale)`, round to nearest even, saturating (weights beyond
///   a clipped range become ±largest); value `decode(q) · scale`. Subnormals are used. Zero
///   encodes exactly (`0x00`). Stochastic rounding is not applied.
/// - Storage: 8 bits per weight and a float32 scale per block: `8 + 32 / blockSize` bits per weight.
///
/// Worked table, E4M3, block absmax 4.48 (scale = 4.48 / 448 = 0.01):
///
/// | x | x / scale | q | x' |
/// | --- | --- | --- | --- |
/// | 4.48 | 448 | `0x7E` | 4.48 |
/// | 0.01 | 1 | `0x38` | 0.01 |
/// | −0.0105 | −1.05 | `0xB8` | −0.01 |
/// | 0 | 0 | `0x00` | 0 |
enum FP8Quantizer {
    /// Quantizes one block: scale from the clipping magnitude, then each weight's FP8 pattern.
    static func quantizeBlock(_ block: BlockBuffers, format: FP8Format, range: RangeMethod) -> BlockParameters {
        let magnitude = ClippingRange.magnitude(block.values, method: range) { magnitude in
            let scale = blockScale(magnitude, format: format)
            return block.values.reduce(0.0) { total, x in
                let error = Double(x - format.value(of: format.encode(x / scale)) * scale)
                return total + error * error
            }
        }
        let scale = blockScale(magnitude, format: format)
        for i in block.values.indices {
            let pattern = format.encode(block.values[i] / scale)
            block.codes[i] = Int32(pattern)
            block.dequantized[i] = format.value(of: pattern) * scale
        }
        return BlockParameters(scale: scale)
    }

    /// The scale that maps `magnitude` to the format's largest finite value; 1 for a zero magnitude.
    static func blockScale(_ magnitude: Float, format: FP8Format) -> Float {
        let scale = magnitude / format.largestFinite
        return scale > 0 && scale.isFinite ? scale : 1
    }
}
