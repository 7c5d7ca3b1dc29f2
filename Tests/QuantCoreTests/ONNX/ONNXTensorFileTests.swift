import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

@Suite struct ONNXTensorFileTests {
    @Test(arguments: [ElementType.float32, .float64, .int64, .int32, .int8, .uint8])
    func roundTripsThroughAFile(_ type: ElementType) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("input_0.pb")
        let values: [Float] =
            type == .float32 || type == .float64 ? [0.5, -1.25, 3, 1e-3, 7, 0] : [0, 1, 2, 3, 100, 127]
        let file = ONNXTensorFile(name: "x", tensor: Tensor(shape: [2, 3], storage: values), elementType: type)
        try file.write(to: url)
        #expect(try ONNXTensorFile.load(contentsOf: url) == file)
    }

    @Test func readsTypedFieldsAsWellAsRawData() throws {
        var proto = Onnx_TensorProto()
        proto.dataType = 3  // INT8, stored one per int32_data entry
        proto.dims = [3]
        proto.int32Data = [-128, 0, 127]
        let file = try ONNXTensorFile.decode(try proto.serializedBytes(), source: "t.pb")
        #expect(file.tensor == Tensor(shape: [3], storage: [-128, 0, 127]))
        #expect(file.elementType == .int8)

        proto = Onnx_TensorProto()
        proto.dataType = 11  // DOUBLE
        proto.dims = [2]
        proto.doubleData = [0.25, -2]
        #expect(try ONNXTensorFile.decode(try proto.serializedBytes(), source: "t.pb").tensor.storage == [0.25, -2])
    }

    @Test func rawDataIsLittleEndian() throws {
        var proto = Onnx_TensorProto()
        proto.dataType = 1
        proto.dims = [1]
        proto.rawData = Data([0x00, 0x00, 0x80, 0x3F])  // 1.0f
        #expect(try ONNXTensorFile.decode(try proto.serializedBytes(), source: "t.pb").tensor.storage == [1])
        proto.rawData = Data([0x00, 0x00, 0x80])
        #expect(
            throws: ModelIOError.malformed(
                path: "t.pb", detail: "tensor '' has 3 bytes of raw data; shape [1] of FLOAT needs 4")
        ) {
            try ONNXTensorFile.decode(try proto.serializedBytes(), source: "t.pb")
        }
    }
}
