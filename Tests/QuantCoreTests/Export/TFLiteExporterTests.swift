import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The `tflite` export, read back without Python: the file's structure (operators, fused
/// activations, NHWC/OHWI layout, the plan's dequantized weights, alignment) and, rebuilt as an
/// engine graph, the same predictions as `Workbench.evaluate` of the plan.
@Suite struct TFLiteExporterTests {
    static func export(_ plan: QuantPlan, model: BundledModel) throws -> (TFLiteFileGraph, Workbench, TFLiteExport) {
        let workbench = try QDQExporterTests.workbench(model)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.tflite")
        let export = try TFLiteExporter.export(plan, using: workbench, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes == export.bytes)
        return (try TFLiteFileGraph(bytes: bytes), workbench, export)
    }

    @Test func theCNNFileHasTheGraphsStructureAndThePlansWeights() throws {
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .channel))
        let (file, workbench, _) = try Self.export(plan, model: .cnn)
        #expect(file.version == 3)
        #expect(
            file.operators.map(\.name) == [
                "RESHAPE", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "MAX_POOL_2D", "TRANSPOSE", "RESHAPE",
                "FULLY_CONNECTED", "FULLY_CONNECTED",
            ])
        // Relu is fused into conv1, conv2 and fc1 (RELU = 1); conv padding 1 is TensorFlow's SAME (0).
        let activations = try file.operators.map { op -> Int8 in
            switch op.name {
            case "CONV_2D": try op.options?.int8(3) ?? -1
            case "FULLY_CONNECTED": try op.options?.int8(0) ?? -1
            default: 0
            }
        }
        #expect(activations == [0, 1, 0, 1, 0, 0, 0, 1, 0])
        #expect(try file.operators[1].options?.int8(0) == 0)
        #expect(try file.operators[2].options?.int8(0) == 1, "max pool 2×2 without pads is VALID")
        let input = file.tensors[file.inputs[0]]
        #expect(input.shape == [1, 1, 28, 28])
        #expect(input.signature == [-1, 1, 28, 28])
        #expect(file.tensors[file.outputs[0]].shape == [1, 10])
        #expect(file.bufferStarts.allSatisfy { $0 % 16 == 0 }, "buffer data is 16-byte aligned")
        #expect(file.metadata["quantdash.format"] == TFLiteExport.Format.float.rawValue)
        #expect(try QuantPlan.decoded(from: Data((file.metadata["quantdash.plan"] ?? "").utf8), file: "m") == plan)

        // conv1's filter is the plan's dequantized weight [8, 1, 3, 3] stored OHWI.
        let expected = try #require(try workbench.apply(plan).weightOverrides["conv1.weight"])
        let filterIndex = file.operators[1].inputs[1]
        #expect(file.tensors[filterIndex].shape == [8, 3, 3, 1])
        #expect(file.values(filterIndex) == expected.storage)
        // conv2's filter [16, 8, 3, 3] → [16, 3, 3, 8]: element (o, c, y, x) at ((o·3 + y)·3 + x)·8 + c.
        let conv2 = try #require(try workbench.apply(plan).weightOverrides["conv2.weight"])
        let filter2 = file.values(file.operators[3].inputs[1])
        #expect(file.tensors[file.operators[3].inputs[1]].shape == [16, 3, 3, 8])
        let (o, c, y, x) = (5, 6, 2, 1)
        let ohwi: Int = ((o * 3 + y) * 3 + x) * 8 + c
        let oihw: Int = ((o * 8 + c) * 3 + y) * 3 + x
        #expect(filter2[ohwi] == conv2.storage[oihw])
        #expect(Set(filter2) == Set(conv2.storage))
    }

    static let plans: [LayerSettings] = [
        LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel),
        LayerSettings(bitWidth: 3, scheme: .kmeans),
        // Asymmetric weights: no full-integer form, so the float form with int8 activations.
        LayerSettings(bitWidth: 8, scheme: .asymmetric, granularity: .channel, activationBits: 8, calibration: .minmax),
        LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor, activationBits: 6),
    ]

    @Test(arguments: plans) func theFilePredictsWhatTheWorkbenchEvaluates(settings: LayerSettings) throws {
        for model in [BundledModel.mlp, .cnn] {
            let plan = QuantPlan(defaults: settings)
            let (file, workbench, export) = try Self.export(plan, model: model)
            let expected = try workbench.evaluate(try workbench.apply(plan))
            let rebuilt = try Workbench(graph: try file.graph(), heldOut: try DemoData.heldOutSet(), calibration: nil)
            let actual = try rebuilt.floatReport()
            let differing = zip(actual.predictions, expected.predictions).filter { $0 != $1 }.count
            #expect(differing == 0, "\(model) \(settings): \(differing) predictions differ")
            #expect(actual.correctCount == expected.correctCount)
            let quantizedActivations = settings.activationBits == nil ? 0 : workbench.layers.count
            #expect(export.fakeQuantizedActivations.count >= quantizedActivations)
            #expect(file.operators.filter { $0.name == "QUANTIZE" }.count == export.fakeQuantizedActivations.count)
        }
    }

    @Test func anOperatorTFLiteCannotExpressIsNamedAndNothingIsWritten() throws {
        var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let relu = try #require(graph.nodes.firstIndex { $0.op == .relu })
        graph.nodes[relu].op = .softplus
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(10), calibration: nil)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("softplus.tflite")
        #expect {
            try TFLiteExporter.export(QuantPlan(defaults: LayerSettings(bitWidth: 8)), using: workbench, to: url)
        } throws: { error in
            let text = "\(error)"
            return text.contains("softplus.tflite") && text.contains("Softplus") && !text.contains("\n")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func anExistingFileIsKeptUnlessOverwriting() throws {
        let workbench = try QDQExporterTests.workbench(.mlp)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("kept.tflite")
        try Data("old".utf8).write(to: url)
        let plan = QuantPlan(defaults: LayerSettings(bitWidth: 8))
        #expect(throws: ModelIOError.exists(path: url.relativePath)) {
            try TFLiteExporter.export(plan, using: workbench, to: url)
        }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        let export = try TFLiteExporter.export(plan, using: workbench, to: url, overwrite: true)
        #expect(try Data(contentsOf: url).count == export.byteCount)
    }
}
