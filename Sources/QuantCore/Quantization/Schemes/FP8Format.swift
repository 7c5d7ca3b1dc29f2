/// An OCP 8-bit floating-point format (OFP8 v1.0): bit pattern `S.EEEE.MMM` (E4M3) or `S.EEEEE.MM` (E5M2).
///
/// | | E4M3 | E5M2 |
/// | --- | --- | --- |
/// | exponent bias | 7 | 15 |
/// | largest finite | 448 = `0x7E` (S.1111.110) | 57344 = `0x7B` (S.11110.11) |
/// | smallest normal | 2^−6 = `0x08` | 2^−14 = `0x04` |
/// | smallest subnormal | 2^−9 = `0x01` | 2^−16 = `0x01` |
/// | infinity | none | `0x7C` (S.11111.00) |
/// | NaN | `0x7F` (S.1111.111) | `0x7D…0x7F` (S.11111.xx, xx ≠ 0) |
///
/// Normal values are `(1 + M / 2^m) · 2^(E − bias)`, subnormals (`E = 0`) `M / 2^m · 2^(1 − bias)`.
/// `encode` rounds to nearest, ties to even mantissa, and saturates to ±largest finite (the
/// "saturating" conversion of the OCP spec): it never produces infinity or NaN from a finite
/// input. The sign is kept, so `−0.0` and tiny negatives that round to zero encode as `0x80`.
///
/// Worked table (E4M3): 1.0 → `0x38`; 1.0625 (tie) → `0x38` (even, 1.0); 1.1875 (tie) → `0x3A`
/// (1.25); 448 → `0x7E`; 1000 → `0x7E` (saturated); 2^−9 → `0x01`; 2^−10 (tie) → `0x00`.
struct FP8Format: Sendable, Equatable {
    /// Exponent field width.
    let exponentBits: Int
    /// Mantissa field width.
    let mantissaBits: Int
    /// Exponent bias.
    let bias: Int
    /// The magnitude bits (sign cleared) of the largest finite value.
    let largestFinitePattern: UInt8
    /// Whether the all-ones exponent encodes infinity and NaN (IEEE-like) rather than normal values.
    let hasInfinity: Bool
    /// `decode` of every bit pattern, for fast decoding (`value(of:)`).
    private(set) var values: [Float] = []

    /// Describes a format and tabulates its 256 values.
    init(exponentBits: Int, mantissaBits: Int, bias: Int, largestFinitePattern: UInt8, hasInfinity: Bool) {
        self.exponentBits = exponentBits
        self.mantissaBits = mantissaBits
        self.bias = bias
        self.largestFinitePattern = largestFinitePattern
        self.hasInfinity = hasInfinity
        values = (UInt8.min...UInt8.max).map(decode)
    }

    /// OCP E4M3: bias 7, no infinities, largest finite 448.
    static let e4m3 = FP8Format(
        exponentBits: 4, mantissaBits: 3, bias: 7, largestFinitePattern: 0x7E, hasInfinity: false)
    /// OCP E5M2: bias 15, IEEE-like infinities and NaNs, largest finite 57344.
    static let e5m2 = FP8Format(
        exponentBits: 5, mantissaBits: 2, bias: 15, largestFinitePattern: 0x7B, hasInfinity: true)

    /// The format a scheme uses, or `nil` for non-FP8 schemes.
    static func of(_ scheme: Scheme) -> FP8Format? {
        switch scheme {
        case .fp8E4M3: .e4m3
        case .fp8E5M2: .e5m2
        default: nil
        }
    }

    /// The largest finite value (448 or 57344).
    var largestFinite: Float { decode(largestFinitePattern) }

    /// The value of a bit pattern from the table; equals `decode(bits)`.
    @inline(__always)
    func value(of bits: UInt8) -> Float { values[Int(bits)] }

    /// The nearest FP8 bit pattern to `x`: round half to even, saturating to ±largest finite; NaN → `0x7F` (with sign).
    func encode(_ x: Float) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        guard !x.isNaN else { return sign | 0x7F }
        let magnitude = abs(x)
        guard magnitude > 0 else { return sign }
        guard magnitude.isFinite else { return sign | largestFinitePattern }
        let smallestNormalExponent = 1 - bias
        // Subnormals share the spacing of the smallest normal binade, so clamp the exponent there
        // (float subnormals read as exponent −127 and are clamped too).
        let exponent = max(Int(magnitude.bitPattern >> 23) - 127, smallestNormalExponent)
        let quantum = Float(bitPattern: UInt32(exponent - mantissaBits + 127) << 23)  // 2^(exponent − m), normal
        // Exact (division by a power of two), then rounded: 2^m…2^(m+1) for normals, 0…2^m for subnormals.
        let significand = Int((magnitude / quantum).rounded(.toNearestOrEven))
        // Exponent field (E − 1) above the binade, plus the significand with its implicit bit: a
        // significand of 2^(m+1) carries into the exponent field, one of 2^m turns a subnormal normal.
        let pattern = ((exponent - smallestNormalExponent) << mantissaBits) + significand
        return sign | UInt8(min(pattern, Int(largestFinitePattern)))
    }

    /// The value of a bit pattern (NaN and infinity patterns decode to `.nan` and `±.infinity`).
    func decode(_ bits: UInt8) -> Float {
        let sign: FloatingPointSign = bits & 0x80 != 0 ? .minus : .plus
        let exponentField = Int(bits >> mantissaBits) & ((1 << exponentBits) - 1)
        let mantissa = Int(bits) & ((1 << mantissaBits) - 1)
        let maxExponentField = (1 << exponentBits) - 1
        if hasInfinity, exponentField == maxExponentField {
            return mantissa == 0 ? (sign == .minus ? -.infinity : .infinity) : .nan
        }
        if !hasInfinity, bits & 0x7F == 0x7F { return .nan }
        if exponentField == 0 {
            return Float(sign: sign, exponent: 1 - bias - mantissaBits, significand: Float(mantissa))
        }
        return Float(
            sign: sign, exponent: exponentField - bias - mantissaBits,
            significand: Float(mantissa + (1 << mantissaBits)))
    }

    /// The reference encoder: the nearest finite pattern by exhaustive search (ties to the even pattern), saturating.
    func referenceEncode(_ x: Float) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let magnitude = Double(abs(x))
        var best: (pattern: UInt8, distance: Double) = (0, magnitude)
        for pattern in UInt8(1)...largestFinitePattern {
            let distance = abs(magnitude - Double(decode(pattern)))
            if distance < best.distance || (distance == best.distance && pattern % 2 == 0) {
                best = (pattern, distance)
            }
        }
        return sign | best.pattern
    }
}
