/// How one layer's quantized weight is stored in a QDQ export.
struct QDQWeightEncoding: Equatable {
    /// The integer type of the codes and zero points.
    var elementType: ElementType
    /// The `DequantizeLinear` axis (the output-channel axis; 1, ONNX's default, for per-tensor).
    var axis: Int
    /// Scales: one (per-tensor, stored as a scalar) or one per output channel.
    var scales: [Float]
    /// Zero points, parallel to `scales`.
    var zeroPoints: [Int32]
    /// Whether one scale serves the whole tensor.
    var isPerTensor: Bool

    /// The encoding of `weights`, or `nil` when ONNX `DequantizeLinear` (opset 13/21) cannot
    /// reproduce `weights.dequantized` bit for bit: non-affine schemes (power-of-two, k-means,
    /// FP8, NF4, binary, ternary), per-group blocks, codes wider than 16 bits, or any weight
    /// where `(code − zeroPoint) · scale` differs from the decoded value.
    ///
    /// Codes of up to 4 bits are stored in int4/uint4 (packed two per byte, opset 21), 5–8 bits
    /// in int8/uint8, 9–16 bits in int16/uint16 (opset 21): the narrowest type holding every
    /// code and zero point. Symmetric schemes (and any with a negative code) use signed types,
    /// the rest unsigned. Fixed point is `DequantizeLinear(q, 2^-n, 0)` with signed codes.
    init?(_ weights: QuantizedWeights) {
        guard weights.settings.scheme.isAffine, weights.codebook.isEmpty, !weights.scales.isEmpty,
            weights.codes.count == weights.dequantized.count, weights.bitWidth <= 16
        else { return nil }
        let zeroPoints =
            weights.zeroPoints.isEmpty ? Array(repeating: 0, count: weights.scales.count) : weights.zeroPoints
        guard zeroPoints.count == weights.scales.count else { return nil }
        let inner: Int
        switch weights.settings.granularity {
        case .tensor:
            guard weights.scales.count == 1 else { return nil }
            (isPerTensor, axis, inner) = (true, 1, max(weights.codes.count, 1))
        case .channel:
            let channelAxis = weights.outputChannelAxis
            guard weights.shape.indices.contains(channelAxis), weights.shape[channelAxis] == weights.scales.count
            else { return nil }
            (isPerTensor, axis) = (false, channelAxis)
            inner = weights.shape[(channelAxis + 1)...].reduce(1, *)
        case .group:
            return nil
        }
        let all = weights.codes + zeroPoints
        guard let lowest = all.min(), let highest = all.max() else { return nil }
        let isSigned = lowest < 0 || weights.settings.scheme.hasSignedCodes
        let candidates: [(ElementType, ClosedRange<Int32>)] =
            isSigned
            ? [(.int4, -8...7), (.int8, -128...127), (.int16, -32768...32767)]
            : [(.uint4, 0...15), (.uint8, 0...255), (.uint16, 0...65535)]
        guard let type = candidates.first(where: { $0.1.contains(lowest) && $0.1.contains(highest) })?.0 else {
            return nil
        }
        // What DequantizeLinear computes must be exactly what the engine evaluates.
        let channels = weights.scales.count
        for (index, code) in weights.codes.enumerated() {
            let block = isPerTensor ? 0 : (index / inner) % channels
            let value = (Float(code) - Float(zeroPoints[block])) * weights.scales[block]
            guard value == weights.dequantized[index] else { return nil }
        }
        elementType = type
        scales = weights.scales
        self.zeroPoints = zeroPoints
    }

    /// The scale initializer: a scalar per-tensor, else 1-D `[channels]`.
    var scaleTensor: Tensor {
        isPerTensor ? Tensor(scalar: scales[0]) : Tensor(shape: [scales.count], storage: scales)
    }

    /// The zero-point initializer, shaped like `scaleTensor` (held as `Float`, stored as `elementType`).
    var zeroPointTensor: Tensor {
        let values = zeroPoints.map { Float($0) }
        return isPerTensor ? Tensor(scalar: values[0]) : Tensor(shape: [values.count], storage: values)
    }

    /// `"int8 per-channel axis 0"` or `"uint8 per-tensor"`.
    var label: String {
        "\(elementType) " + (isPerTensor ? "per-tensor" : "per-channel axis \(axis)")
    }
}

extension QDQWeightEncoding {
    /// Bytes of the tensors the QDQ export stores for one layer's weight: codes, scales and zero
    /// points when `DequantizeLinear` reproduces it, else `weightCount` float32 values (float
    /// layers and the fallback for other schemes and groups).
    static func storedBytes(of weights: QuantizedWeights?, weightCount: Int) -> Int {
        guard let weights, let encoding = QDQWeightEncoding(weights) else { return 4 * weightCount }
        return encoding.elementType.storedBytes(count: weights.codes.count) + 4 * encoding.scales.count
            + encoding.elementType.storedBytes(count: encoding.zeroPoints.count)
    }
}

extension ElementType {
    /// Bytes `count` values take in an ONNX tensor's raw data (4-bit types two per byte).
    func storedBytes(count: Int) -> Int {
        switch self {
        case .int4, .uint4: (count + 1) / 2
        case .int8, .uint8, .bool: count
        case .int16, .uint16: 2 * count
        case .float32, .int32: 4 * count
        case .int64, .float64: 8 * count
        }
    }
}

extension ActivationQuantization {
    /// The ONNX integer type of the codes: (u)int8 up to 8 bits, (u)int16 above.
    var onnxElementType: ElementType {
        bitWidth <= 8 ? (isSigned ? .int8 : .uint8) : (isSigned ? .int16 : .uint16)
    }

    /// Whether `QuantizeLinear` to `onnxElementType` saturates to exactly `codeRange` (8 and 16
    /// bits); other widths need a Clip after `DequantizeLinear`.
    var isTypeRange: Bool { bitWidth == 8 || bitWidth == 16 }
}
