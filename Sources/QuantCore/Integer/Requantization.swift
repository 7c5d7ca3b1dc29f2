/// How the integer model turns a layer's int32 sum into an output code: the one table of
/// requantization schemes (the reference, the C kernels and the C export all read it).
///
/// | scheme | multiplier | rounding | who does it |
/// | --- | --- | --- | --- |
/// | `float` | `s_x · s_w / s_y` in `Float` | `Float(acc + bias) · M`, half to even | onnxruntime MLAS (QLinearConv, QGemm) |
/// | `fixedPoint` | int32 `m ∈ [2³⁰, 2³¹)` and a shift, from the `Double` product | gemmlowp: doubling high multiply (ties up), then a shift (ties away from 0) | TFLite / LiteRT int8 kernels |
///
/// Worked (`fixedPoint`, real multiplier 0.375 → `m = 1610612736` (0.75 · 2³¹), shift −1; the
/// high multiply gives `acc · 0.75` rounded half up, the shift halves it rounding half away from 0):
///
/// | acc | acc · 0.375 | high multiply | code | `float` |
/// | --- | --- | --- | --- | --- |
/// | 4 | 1.5 | 3 | 2 | 2 |
/// | −4 | −1.5 | −3 | −2 | −2 |
/// | 5 | 1.875 | 4 (3.75) | 2 | 2 |
/// | 1 | 0.375 | 1 (0.75) | 1 | 0 |
/// | −1 | −0.375 | −1 (−0.75) | −1 | 0 |
public enum Requantization: String, Sendable, Codable, CaseIterable {
    /// onnxruntime's MLAS: `clamp(roundHalfEven(Float(acc + bias) · M) + z_y)`, `M` in `Float`.
    case float
    /// TFLite's reference kernels: `clamp(MultiplyByQuantizedMultiplier(acc + bias, m, shift) + z_y)`.
    case fixedPoint = "fixed-point"
}

/// A real multiplier as TFLite stores it: `real ≈ multiplier · 2^(shift − 31)` with `multiplier`
/// in `[2³⁰, 2³¹)` (or 0), as `QuantizeMultiplier` in TFLite's `quantization_util.cc` computes it.
public struct FixedPointMultiplier: Sendable, Equatable, Hashable {
    /// The significand in Q0.31, `[2³⁰, 2³¹)`, or 0 for a multiplier too small to matter.
    public var multiplier: Int32
    /// The power of two: positive shifts left (a multiplier ≥ 1), negative shifts right.
    public var shift: Int32

    /// Creates the pair as given.
    public init(multiplier: Int32, shift: Int32) {
        self.multiplier = multiplier
        self.shift = shift
    }

    /// TFLite's `QuantizeMultiplier`: `frexp`, the significand times 2³¹ rounded half away from
    /// zero (`std::round`), 2³¹ folded into the exponent, shifts below −31 flushed to zero.
    /// Shifts above 30 (multipliers of 2³⁰ and more, which no layer has) saturate to
    /// `(Int32.max, 30)` as TFLite's single-rounding build does, so the left shift stays within
    /// int32. Non-positive or non-finite values give 0.
    public init(_ real: Double) {
        guard real > 0, real.isFinite else {
            self.init(multiplier: 0, shift: 0)
            return
        }
        let exponent = real.exponent + 1  // frexp: real = significand · 2^exponent, significand ∈ [0.5, 1)
        let significand = real.significand / 2
        var fixed = Int64((significand * 2_147_483_648).rounded(.toNearestOrAwayFromZero))
        var shift = Int32(clamping: exponent)
        if fixed == 1 << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 {
            (fixed, shift) = (0, 0)
        } else if shift > 30 {
            (fixed, shift) = (Int64(Int32.max), 30)
        }
        self.init(multiplier: Int32(fixed), shift: shift)
    }

    /// The real multiplier of `s_x · s_w / s_y`, evaluated in `Double` as TFLite's
    /// `PopulateConvolutionQuantizationParams` does (`double(s_x) · double(s_w) / double(s_y)`).
    public init(inputScale: Float, weightScale: Float, outputScale: Float) {
        self.init(Double(inputScale) * Double(weightScale) / Double(outputScale))
    }

    /// TFLite's `MultiplyByQuantizedMultiplier` (double rounding, `TFLITE_SINGLE_ROUNDING` off):
    /// `RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x · 2^left, m), right)`. The left
    /// shift wraps in int32 as C's multiplication does in practice.
    @inline(__always)
    public func apply(to x: Int32) -> Int32 {
        let left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift
        let high = Self.saturatingRoundingDoublingHighMul(x &* (1 &<< left), multiplier)
        return Self.roundingDivideByPowerOfTwo(high, right)
    }

    /// gemmlowp's `SaturatingRoundingDoublingHighMul`: `(a · b + nudge) / 2³¹` in int64, the
    /// division truncating toward zero, nudge `2³⁰` or `1 − 2³⁰` by the product's sign;
    /// `Int32.min · Int32.min` saturates to `Int32.max`.
    @inline(__always)
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min, b == .min { return .max }
        let product = Int64(a) * Int64(b)
        let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32(truncatingIfNeeded: (product + nudge) / (1 << 31))
    }

    /// gemmlowp's `RoundingDivideByPOT`: `x / 2^exponent` rounded half away from zero.
    @inline(__always)
    public static func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int32) -> Int32 {
        let mask = Int32(truncatingIfNeeded: (Int64(1) << Int64(exponent)) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> exponent) + (remainder > threshold ? 1 : 0)
    }
}
