import Foundation

/// Fixed-point (Qm.n) quantization: the step is `2^-n` for `n` fraction bits, chosen by the user
/// instead of derived from the data: `x ≈ q · 2^-n`.
///
/// - Codes: signed two's-complement `b`-bit integers `−2^(b−1) … 2^(b−1) − 1` (Qm.n with
///   `m = b − 1 − n` integer bits), zero point 0.
/// - Quantize: `q = saturate(roundHalfToEven(x · 2^n))`, exactly `AffineQuantizer` with scale
///   `2^-n` (dividing by a power of two is exact, so this is the real-number rounding). Half to
///   even, like every affine scheme here and ONNX `QuantizeLinear`, so the QDQ export's
///   `DequantizeLinear(q, 2^-n, 0)` reproduces the values bit for bit and ties carry no bias.
///   Stochastic rounding applies (`floor(x · 2^n + u)`).
/// - Fraction bits: `LayerSettings.fractionBits` (`fractionBitsRange`, the same for every block),
///   or, when it is nil, the data-derived default per block: the largest `n` for which the block's
///   `max |w|` fits, `roundHalfToEven(max |w| · 2^n) ≤ 2^(b−1) − 1`, so nothing saturates
///   (`defaultFractionBits`; with per-tensor granularity one `n` per layer). A user-set `n` too
///   large for the weights saturates them at `±(2^(b−1) − 1) · 2^-n` (`−2^(b−1) · 2^-n` below).
/// - Storage: one `b`-bit code per weight and the block's step `2^-n` as a float32 scale (what the
///   exports write): effective bits per weight `b + 32 / blockSize`.
///
/// Worked table, 4 bits, `n = 2` (step 0.25, codes −8 … 7, values −2 … 1.75):
///
/// | x | x · 2^n | q | x' |
/// | --- | --- | --- | --- |
/// | 0.3 | 1.2 | 1 | 0.25 |
/// | 0.375 | 1.5 | 2 (tie → even) | 0.5 |
/// | 0.625 | 2.5 | 2 (tie → even) | 0.5 |
/// | −1.1 | −4.4 | −4 | −1.0 |
/// | 3.0 | 12 | 7 (saturated) | 1.75 |
/// | −3.0 | −12 | −8 (saturated) | −2.0 |
///
/// Default for the block `[0.3, −1.1]`: `max |w| = 1.1`, `1.1 · 2^2 = 4.4 → 4 ≤ 7` but
/// `1.1 · 2^3 = 8.8 → 9 > 7`, so `n = 2`.
public enum FixedPointQuantizer {
    /// The fraction bits a plan accepts: steps from `2^32` down to `2^-64` (all normal floats).
    public static let fractionBitsRange = -32...64

    /// The codes `−2^(b−1) … 2^(b−1) − 1`.
    static func codeRange(bitWidth: Int) -> ClosedRange<Int32> {
        let half = Int32(1) << (bitWidth - 1)
        return -half...(half - 1)
    }

    /// The step `2^-n`.
    public static func step(fractionBits: Int) -> Float {
        Float(sign: .plus, exponent: -fractionBits, significand: 1)
    }

    /// The largest `n` in `fractionBitsRange` with `roundHalfToEven(maxMagnitude · 2^n) ≤ 2^(b−1) − 1`;
    /// `b − 1` for an all-zero block (any `n` stores it exactly).
    public static func defaultFractionBits(maxMagnitude: Float, bitWidth: Int) -> Int {
        let range = fractionBitsRange
        let magnitude = Double(abs(maxMagnitude))
        guard magnitude > 0, magnitude.isFinite else {
            return min(max(bitWidth - 1, range.lowerBound), range.upperBound)
        }
        let largestCode = Double((1 << (bitWidth - 1)) - 1)
        func fits(_ n: Int) -> Bool {
            (magnitude * Double(sign: .plus, exponent: n, significand: 1)).rounded(.toNearestOrEven) <= largestCode
        }
        // Start from log2(largest code / max |w|) and step to the exact boundary.
        var n = min(max(Int((log2(largestCode / magnitude)).rounded(.down)), range.lowerBound), range.upperBound)
        while n > range.lowerBound, !fits(n) { n -= 1 }
        while n < range.upperBound, fits(n + 1) { n += 1 }
        return n
    }

    /// Quantizes one block with `fractionBits`, or the block's default when nil.
    static func quantizeBlock(_ block: BlockBuffers, bitWidth: Int, fractionBits: Int?) -> BlockParameters {
        let n =
            fractionBits
            ?? defaultFractionBits(maxMagnitude: block.values.reduce(0) { max($0, abs($1)) }, bitWidth: bitWidth)
        let parameters = AffineQuantizer.Parameters(
            scale: step(fractionBits: n), zeroPoint: 0, codeRange: codeRange(bitWidth: bitWidth))
        AffineQuantizer.code(block, with: parameters)
        return BlockParameters(scale: parameters.scale)
    }
}
