import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Several model inputs fed by name from a `.npz` (issue 13.3): int64 `input_ids` and
/// `attention_mask` read as exact floats, cut with the samples, fed to the graph by name.
@Suite struct MultipleInputsTests {
    typealias M = ONNXTestModels
    static let fixtures = TestSupport.packageRoot.path + "/Tests/Fixtures/data/"

    static func options(limit: Int? = nil) -> DatasetLoadOptions {
        var options = DatasetLoadOptions()
        options.requiresLabels = false
        options.mainInputName = "input_ids"
        options.otherInputNames = ["attention_mask"]
        options.limit = limit
        return options
    }

    @Test func npzInputsAreReadByName() throws {
        let data = try DatasetLoader.load(path: Self.fixtures + "two-inputs.npz", options: Self.options())
        #expect(!data.hasLabels && data.count == 3)
        let ids = try data.images
        #expect(ids.shape == [3, 5] && ids.storage.prefix(5) == [101, 7, 8, 9, 102])
        let mask = try #require(data.extraInputs["attention_mask"])
        #expect(mask.storage == ids.storage.map { $0 != 0 ? 1 : 0 })
        // Cut with the samples: subsets, picks and --limit keep the rows together.
        let picked = data.picking([2, 0], name: "picked")
        #expect(try picked.images.storage.prefix(5) == [101, 3, 4, 102, 0])
        #expect(picked.extraInputs["attention_mask"]?.storage.prefix(5) == [1, 1, 1, 1, 0])
        let batch = try data.subset(1..<3).inputs(in: 0..<1, main: "input_ids")
        #expect(batch["attention_mask"]?.storage == [1, 1, 1, 0, 0] && batch["input_ids"]?.shape == [1, 5])
        let limited = try DatasetLoader.load(path: Self.fixtures + "two-inputs.npz", options: Self.options(limit: 2))
        #expect(limited.count == 2 && limited.extraInputs["attention_mask"]?.shape == [2, 5])
    }

    @Test func aMaskWithOtherRowsIsOneLineNamingTheArray() throws {
        let path = Self.fixtures + "two-inputs-short-mask.npz"
        let error = try #require(throws: ModelIOError.self) {
            try DatasetLoader.load(path: path, options: Self.options())
        }
        #expect("\(error)".contains("attention_mask") && "\(error)".contains("3 rows"))
        #expect(!"\(error)".contains("\n"))
    }

    @Test func aTwoInputGraphRunsOnBothAndMeasuresFidelity() throws {
        let model = M.model(
            nodes: [M.node("Mul", name: "masked", inputs: ["input_ids", "attention_mask"], outputs: ["y"])],
            inputs: [("input_ids", [1, 5]), ("attention_mask", [1, 5])], outputs: [("y", [1, 5])])
        var graph = try ONNXModel.decode(M.bytes(model), source: "two.onnx")
        graph.inputs[0].shape[0] = nil
        graph.inputs[1].shape[0] = nil
        let data = try DatasetLoader.load(path: Self.fixtures + "two-inputs.npz", options: Self.options())
        let workbench = try Workbench(graph: graph, heldOut: data, calibration: nil)
        #expect(workbench.ioNote?.contains("feeding 'input_ids' from the samples and 'attention_mask' by name") == true)
        let report = try workbench.floatReport()
        // The output is ids × mask: its argmax per row is the largest id the mask keeps.
        let ids = try data.images.storage, mask = try #require(data.extraInputs["attention_mask"]).storage
        let expected = (0..<3).map { row in
            EvaluationMetrics.argmax((0..<5).map { ids[row * 5 + $0] * mask[row * 5 + $0] })
        }
        #expect(report.predictions == expected)
        // A Mul output is a vector, not classes: no KL.
        #expect(report.fidelity == .identical(neighbours: true, classes: false))
        #expect(report.fidelity?.kl == nil)
        // Without the mask the graph cannot run, and says which input is missing.
        var unmasked = data
        try unmasked.setExtraInputs([:])
        let bare = try Workbench(graph: graph, heldOut: unmasked, calibration: nil)
        #expect(throws: GraphError.missingInput("attention_mask")) { try bare.floatReport() }
    }
}
