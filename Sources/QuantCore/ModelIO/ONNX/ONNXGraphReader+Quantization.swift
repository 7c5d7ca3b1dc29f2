extension ONNXGraphReader {
    /// `QuantizeLinear` or `DequantizeLinear` with its `axis` (default 1) and, for
    /// `QuantizeLinear`, the code type: the zero point's type, else `output_dtype` (opset 21),
    /// else uint8 as ONNX specifies.
    ///
    /// - Throws: `ModelIOError.invalidGraph` (through `attributes`) for blocked quantization
    ///   (`block_size`), a non-saturating FP8 request, or a code type the engine cannot hold.
    func quantizationOperator(_ opType: String, inputs: [String], attributes: ONNXAttributes) throws -> Operator {
        let axis = try attributes.int("axis") ?? 1
        if let blockSize = try attributes.int("block_size"), blockSize != 0 {
            throw attributes.unsupported("blocked quantization (block_size \(blockSize))")
        }
        guard opType == "QuantizeLinear" else { return .dequantizeLinear(axis: axis) }
        var type = ElementType.uint8
        if inputs.count > 2, !inputs[2].isEmpty {
            type = initializerTypes[inputs[2]] ?? .float32
        } else if let code = try attributes.int("output_dtype"), code != 0 {
            type = ElementType(rawValue: code) ?? .float32
        }
        guard [.int8, .uint8, .int16, .uint16, .int4, .uint4].contains(type) else {
            throw attributes.unsupported("quantizing to \(type) (only int4, uint4, int8, uint8, int16 and uint16)")
        }
        return .quantizeLinear(axis: axis, elementType: type)
    }
}
