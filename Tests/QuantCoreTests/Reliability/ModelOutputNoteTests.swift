import Foundation
import Testing

@testable import QuantCore

/// Issue 16.15: a model with two outputs is evaluated on the first, and says so.
@Suite struct ModelOutputNoteTests {
    typealias M = ONNXTestModels

    @Test func twoOutputsAreNamed() throws {
        let model = M.model(
            nodes: [
                M.node("Relu", name: "r", inputs: ["x"], outputs: ["logits"]),
                M.node("Sigmoid", name: "s", inputs: ["x"], outputs: ["features"]),
            ], inputs: [("x", [1, 4])], outputs: [("logits", [1, 4]), ("features", [1, 4])])
        var graph = try ONNXModel.decode(M.bytes(model), source: "two.onnx")
        graph.inputs[0].shape[0] = nil
        let data = try Dataset(
            name: "d", images: Tensor(shape: [2, 4], storage: [1, 2, 3, 4, 4, 3, 2, 1]), labels: [3, 0], classCount: 4)
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        #expect(workbench.ioNote == "the model has 2 outputs (logits, features); evaluating the first, 'logits'")
        #expect(try workbench.floatReport().top1 == 1)
        #expect(try NumericEdgeCaseTests.workbench().ioNote == nil)
    }
}
