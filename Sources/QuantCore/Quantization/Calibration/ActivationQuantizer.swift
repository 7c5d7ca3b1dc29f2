/// How one activation tensor is quantized: ONNX `QuantizeLinear` parameters plus the integer type.
///
/// - Unsigned (outputs that were never negative in calibration, e.g. after ReLU): uint-`b` codes
///   `0 … 2^b − 1`, zero point 0, `scale = T / (2^b − 1)` for the calibrated threshold `T`.
/// - Signed: int-`b` codes `−2^(b−1) … 2^(b−1) − 1` (the integer type's full range, which is what
///   `QuantizeLinear` saturates to), zero point 0, and the symmetric narrow-range scale
///   `T / (2^(b−1) − 1)` that onnxruntime's calibration uses.
/// - `T = 0` gives scale 1.
///
/// Worked table, signed 8-bit, `T = 1.27` (scale 0.01): 0.5 → 50 → 0.5; −1.5 → −128 → −1.28
/// (saturated at the type's range); 0.025 → 2 → 0.02 (tie → even).
public struct ActivationQuantization: Sendable, Equatable, Hashable {
    /// The step between adjacent levels.
    public var scale: Float
    /// The code of 0.0 (0 for the ranges calibration produces).
    public var zeroPoint: Int32
    /// Bits per activation code (2…16).
    public var bitWidth: Int
    /// Whether codes are signed (int-`b`) rather than unsigned (uint-`b`).
    public var isSigned: Bool

    /// Creates parameters directly; a scale that is not positive and finite becomes 1.
    ///
    /// - Throws: `QuantizationError.unsupportedActivationBitWidth` outside 2…16.
    public init(scale: Float, zeroPoint: Int32 = 0, bitWidth: Int, isSigned: Bool) throws {
        guard (2...16).contains(bitWidth) else { throw QuantizationError.unsupportedActivationBitWidth(bitWidth) }
        self.scale = scale > 0 && scale.isFinite ? scale : 1
        self.zeroPoint = zeroPoint
        self.bitWidth = bitWidth
        self.isSigned = isSigned
    }

    /// Parameters that map `[0, threshold]` (unsigned) or `[−threshold, threshold]` (signed) onto the codes.
    ///
    /// - Throws: `QuantizationError.unsupportedActivationBitWidth` outside 2…16.
    public init(threshold: Float, bitWidth: Int, isSigned: Bool) throws {
        guard (2...16).contains(bitWidth) else { throw QuantizationError.unsupportedActivationBitWidth(bitWidth) }
        let levels = isSigned ? Float((1 << (bitWidth - 1)) - 1) : Float((1 << bitWidth) - 1)
        try self.init(scale: abs(threshold) / levels, bitWidth: bitWidth, isSigned: isSigned)
    }

    /// The codes `QuantizeLinear` saturates to: the `b`-bit integer type's range.
    public var codeRange: ClosedRange<Int32> {
        isSigned
            ? -(Int32(1) << (bitWidth - 1))...((Int32(1) << (bitWidth - 1)) - 1)
            : 0...((Int32(1) << bitWidth) - 1)
    }
}

/// Quantize-dequantize ("fake quantization") of activations with ONNX `QuantizeLinear` /
/// `DequantizeLinear` semantics: `q = saturate(roundHalfToEven(x / scale) + zeroPoint)`,
/// `x' = Float(q − zeroPoint) · scale`.
public enum ActivationQuantizer {
    /// The code of `x` (the reference).
    public static func quantize(_ x: Float, with parameters: ActivationQuantization) -> Int32 {
        let range = parameters.codeRange
        let q = (x / parameters.scale).rounded(.toNearestOrEven) + Float(parameters.zeroPoint)
        return Int32(AffineQuantizer.clamp(q, Float(range.lowerBound), Float(range.upperBound)))
    }

    /// The value of code `q` (the reference).
    public static func dequantize(_ q: Int32, with parameters: ActivationQuantization) -> Float {
        Float(Int64(q) - Int64(parameters.zeroPoint)) * parameters.scale
    }

    /// Replaces every value by its quantize-dequantize image, in place; equals `dequantize(quantize(x))`.
    ///
    /// Stays in `Float` (no integer conversion), so NaN passes through as NaN instead of trapping.
    public static func fakeQuantize(
        _ buffer: UnsafeMutableBufferPointer<Float>, with parameters: ActivationQuantization
    ) {
        let scale = parameters.scale
        let zeroPoint = Float(parameters.zeroPoint)
        let lowest = Float(parameters.codeRange.lowerBound), highest = Float(parameters.codeRange.upperBound)
        for i in buffer.indices {
            var q = (buffer[i] / scale).rounded(.toNearestOrEven) + zeroPoint
            q = q > highest ? highest : q
            q = q < lowest ? lowest : q
            buffer[i] = (q - zeroPoint) * scale
        }
    }

    /// Fake-quantizes an array in place.
    public static func fakeQuantize(_ values: inout [Float], with parameters: ActivationQuantization) {
        values.withUnsafeMutableBufferPointer { fakeQuantize($0, with: parameters) }
    }

    /// Fake-quantizes a tensor in place.
    public static func fakeQuantize(_ tensor: inout Tensor, with parameters: ActivationQuantization) {
        tensor.storage.withUnsafeMutableBufferPointer { fakeQuantize($0, with: parameters) }
    }
}
