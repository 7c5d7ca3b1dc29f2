import Testing

@testable import QuantCore

/// `QuantizeLinear` / `DequantizeLinear` kernels against the ONNX specification's semantics.
@Suite struct QuantizeLinearTests {
    @Test func perTensorRoundsHalfToEvenAndSaturates() throws {
        let x = Tensor(shape: [5], storage: [0.25, 0.75, 200, -100, -0.25])
        let q = try Ops.quantizeLinear(
            x, scale: Tensor(scalar: 0.5), zeroPoint: Tensor(scalar: 0), axis: 1, elementType: .int8)
        #expect(q.storage == [0, 2, 127, -128, -0])
        let u = try Ops.quantizeLinear(x, scale: Tensor(scalar: 0.5), zeroPoint: nil, axis: 1, elementType: .uint8)
        #expect(u.storage == [0, 2, 255, 0, 0])
        let wide = try Ops.quantizeLinear(
            x, scale: Tensor(scalar: 0.001), zeroPoint: Tensor(scalar: 0), axis: 1, elementType: .int16)
        #expect(wide.storage == [250, 750, 32767, -32768, -250])
        let nibbles = try Ops.quantizeLinear(
            x, scale: Tensor(scalar: 0.25), zeroPoint: Tensor(scalar: 1), axis: 1, elementType: .int4)
        #expect(nibbles.storage == [2, 4, 7, -8, 0])
        let back = try Ops.dequantizeLinear(q, scale: Tensor(scalar: 0.5), zeroPoint: Tensor(scalar: 0), axis: 1)
        #expect(back.storage == [0, 1, 63.5, -64, 0])
    }

    @Test func perAxisUsesOneScaleAndZeroPointPerIndex() throws {
        // [2, 3] codes, per-axis along axis 0 and along axis 1.
        let codes = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let rows = try Ops.dequantizeLinear(
            codes, scale: Tensor(shape: [2], storage: [1, 0.5]), zeroPoint: Tensor(shape: [2], storage: [0, 4]),
            axis: 0)
        #expect(rows.storage == [1, 2, 3, 0, 0.5, 1])
        let columns = try Ops.dequantizeLinear(
            codes, scale: Tensor(shape: [3], storage: [1, 2, 4]), zeroPoint: nil, axis: -1)
        #expect(columns.storage == [1, 4, 12, 4, 10, 24])
        let quantized = try Ops.quantizeLinear(
            columns, scale: Tensor(shape: [3], storage: [1, 2, 4]), zeroPoint: Tensor(shape: [3], storage: [1, 1, 1]),
            axis: 1, elementType: .uint8)
        #expect(quantized.storage == [2, 3, 4, 5, 6, 7])
        #expect(throws: GraphError.self) {
            try Ops.dequantizeLinear(codes, scale: Tensor(shape: [4], storage: [1, 1, 1, 1]), zeroPoint: nil, axis: 0)
        }
    }

    @Test func fourBitCodesPackTwoPerByteLowNibbleFirst() throws {
        // The bytes `onnx.helper.make_tensor("w", INT4, [2, 3], [-8, 7, 1, 0, -1, 3])` stores.
        let codes = Tensor(shape: [2, 3], storage: [-8, 7, 1, 0, -1, 3])
        let proto = try ONNXTensorCoding.proto(from: codes, name: "w", elementType: .int4, path: "m.onnx")
        #expect([UInt8](proto.rawData) == [120, 1, 63])
        let (decoded, type) = try ONNXTensorCoding.tensor(from: proto, path: "m.onnx")
        #expect(decoded == codes)
        #expect(type == .int4)
        let odd = Tensor(shape: [3], storage: [15, 0, 9])
        let unsigned = try ONNXTensorCoding.proto(from: odd, name: "u", elementType: .uint4, path: "m.onnx")
        #expect([UInt8](unsigned.rawData) == [0x0F, 0x09])
        #expect(try ONNXTensorCoding.tensor(from: unsigned, path: "m.onnx").0 == odd)
        #expect(throws: ModelIOError.self) {
            try ONNXTensorCoding.proto(from: Tensor(scalar: 8), name: "w", elementType: .int4, path: "m.onnx")
        }
    }
}
