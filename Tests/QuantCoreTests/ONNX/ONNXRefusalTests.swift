import Foundation
import Testing

@testable import QuantCore

/// Issue 16.15: models quantdash cannot read faithfully are refused with one line: two nodes with
/// one name (onnxruntime refuses them too), an IR version or operator set far newer than known.
@Suite struct ONNXRefusalTests {
    typealias M = ONNXTestModels

    static func relu(_ name: String, _ input: String, _ output: String) -> Onnx_NodeProto {
        M.node("Relu", name: name, inputs: [input], outputs: [output])
    }

    @Test func duplicateNodeNamesAreRefused() {
        let model = M.model(
            nodes: [Self.relu("act", "x", "h"), Self.relu("act", "h", "y")], inputs: [("x", [1, 4])],
            outputs: [("y", [1, 4])])
        #expect(
            throws: ModelIOError.malformed(
                path: "dup.onnx", detail: "nodes #0 and #1 are both named 'act'; node names must be unique")
        ) {
            try ONNXModel.decode(M.bytes(model), source: "dup.onnx")
        }
        // Unnamed nodes are fine.
        let unnamed = M.model(
            nodes: [Self.relu("", "x", "h"), Self.relu("", "h", "y")], inputs: [("x", [1, 4])],
            outputs: [("y", [1, 4])])
        #expect(throws: Never.self) { try ONNXModel.decode(M.bytes(unnamed), source: "ok.onnx") }
    }

    @Test func farNewerVersionsAreRefused() {
        var model = M.model(nodes: [Self.relu("a", "x", "y")], inputs: [("x", [1, 4])], outputs: [("y", [1, 4])])
        model.irVersion = 99
        #expect(
            throws: ModelIOError.malformed(
                path: "ir.onnx", detail: "IR version 99 is newer than this quantdash reads (up to 14)")
        ) {
            try ONNXModel.decode(M.bytes(model), source: "ir.onnx")
        }
        let opset99 = M.model(
            nodes: [Self.relu("a", "x", "y")], inputs: [("x", [1, 4])], outputs: [("y", [1, 4])], opset: 99)
        #expect(
            throws: ModelIOError.malformed(
                path: "op.onnx", detail: "operator set 99 is newer than this quantdash reads (up to 28)")
        ) {
            try ONNXModel.decode(M.bytes(opset99), source: "op.onnx")
        }
        let newest = M.model(
            nodes: [Self.relu("a", "x", "y")], inputs: [("x", [1, 4])], outputs: [("y", [1, 4])], opset: 23)
        #expect(throws: Never.self) { try ONNXModel.decode(M.bytes(newest), source: "new.onnx") }
    }

    @Test func anIntegerLayerWeightIsRefused() {
        var weight = Onnx_TensorProto()
        weight.name = "w"
        weight.dataType = 7  // INT64
        weight.dims = [2, 2]
        weight.int64Data = [1, 0, 0, 1]
        let model = M.model(
            nodes: [M.node("MatMul", name: "mm", inputs: ["x", "w"], outputs: ["y"])], inputs: [("x", [1, 2])],
            outputs: [("y", [1, 2])], initializers: [weight])
        #expect(
            throws: ModelIOError.unsupportedDataType(
                path: "int.onnx", tensor: "w", dataType: "INT64 for a MatMul weight (float or double expected)")
        ) {
            try ONNXModel.decode(M.bytes(model), source: "int.onnx")
        }
    }
}
