/// ONNX `QuantizeLinear` and `DequantizeLinear` (opset 13 per-tensor and per-axis forms).
///
/// Codes are held as exact integers in `Float`. Scale and zero point are scalars (one element)
/// or 1-D with one entry per index of `axis`. Worked table, int8, scale 0.5, zero point 0:
///
/// | x     | q = saturate(roundHalfToEven(x / 0.5) + 0) | (q − 0) · 0.5 |
/// |-------|--------------------------------------------|---------------|
/// | 0.25  | 0 (0.5 ties to even)                       | 0             |
/// | 0.75  | 2 (1.5 ties to even)                       | 1             |
/// | 100   | 127 (saturated)                            | 63.5          |
extension Ops {
    /// `q = saturate(roundHalfToEven(x / scale) + zeroPoint)` to the range of `elementType`.
    ///
    /// Divides (does not multiply by `1 / scale`), as ONNX specifies; NaN becomes 0 as in onnxruntime.
    /// - Throws: `GraphError.shapeMismatch` for a scale or zero point that is neither a scalar
    ///   nor 1-D along `axis`.
    static func quantizeLinear(
        _ x: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int, elementType: ElementType, node: String = ""
    ) throws -> Tensor {
        let (lowest, highest): (Float, Float) =
            switch elementType {
            case .int8: (-128, 127)
            case .int16: (-32768, 32767)
            case .uint16: (0, 65535)
            case .int4: (-8, 7)
            case .uint4: (0, 15)
            default: (0, 255)
            }
        return try perAxis(x, scale: scale, zeroPoint: zeroPoint, axis: axis, node: node, op: "QuantizeLinear") {
            value, scale, zeroPoint in
            let q = (value / scale).rounded(.toNearestOrEven) + zeroPoint
            return q.isNaN ? 0 : min(max(q, lowest), highest)
        }
    }

    /// `x = (q − zeroPoint) · scale`, computed in `Float` as onnxruntime does (exact for codes
    /// up to 16 bits).
    ///
    /// - Throws: `GraphError.shapeMismatch` as `quantizeLinear`.
    static func dequantizeLinear(
        _ q: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int, node: String = ""
    ) throws -> Tensor {
        try perAxis(q, scale: scale, zeroPoint: zeroPoint, axis: axis, node: node, op: "DequantizeLinear") {
            code, scale, zeroPoint in (code - zeroPoint) * scale
        }
    }

    /// Applies `transform(value, scale, zeroPoint)` to every element, picking the parameters of
    /// its index along `axis` (or the single ones).
    private static func perAxis(
        _ x: Tensor, scale: Tensor, zeroPoint: Tensor?, axis: Int, node: String, op: String,
        _ transform: (Float, Float, Float) -> Float
    ) throws -> Tensor {
        let zeroPoints = zeroPoint?.storage ?? [Float](repeating: 0, count: scale.count)
        guard zeroPoints.count == scale.count, scale.count >= 1 else {
            throw GraphError.shapeMismatch(
                node: node, op: op,
                detail: "scale \(scale.shape) and zero point \(zeroPoint?.shape ?? []) do not match")
        }
        var output = x
        if scale.count == 1 && scale.rank <= 1 {
            let s = scale.storage[0], z = zeroPoints[0]
            output.storage.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = transform(buffer[i], s, z) }
            }
            return output
        }
        let resolved = axis < 0 ? axis + x.rank : axis
        guard scale.rank == 1, x.shape.indices.contains(resolved), x.shape[resolved] == scale.count else {
            throw GraphError.shapeMismatch(
                node: node, op: op, detail: "scale \(scale.shape) does not match axis \(axis) of \(x.shape)")
        }
        let inner = x.shape[(resolved + 1)...].reduce(1, *)
        let channels = scale.count
        let scales = scale.storage
        output.storage.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                let channel = (i / inner) % channels
                buffer[i] = transform(buffer[i], scales[channel], zeroPoints[channel])
            }
        }
        return output
    }
}
