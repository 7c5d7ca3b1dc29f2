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
        #expect(
            workbench.ioNote
                == "the model has 2 outputs (logits, features); evaluating 'logits' (--output NAME picks one)")
        #expect(try workbench.floatReport().top1 == 1)
        // Choosing the other output evaluates it: Sigmoid keeps the argmax of each row.
        let chosen = try #require(graph.choosingOutput("features"))
        #expect(chosen.outputs.map(\.name) == ["features", "logits"])
        #expect(graph.choosingOutput("nope") == nil)
        let other = try Workbench(graph: chosen, heldOut: data, calibration: nil)
        #expect(other.ioNote?.hasSuffix("evaluating 'features' (--output NAME picks one)") == true)
        let sigmoid = try other.logits(for: data.images)
        #expect(sigmoid.storage.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(try other.floatReport().top1 == 1)
        #expect(try NumericEdgeCaseTests.workbench().ioNote == nil)
    }
}
