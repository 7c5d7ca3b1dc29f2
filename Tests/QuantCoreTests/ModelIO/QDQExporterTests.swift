import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The QDQ ONNX export: integer weights behind DequantizeLinear, activation QDQ pairs, float
/// fallbacks listed in the metadata, and our own executor reproducing `Workbench.evaluate`.
@Suite struct QDQExporterTests {
    static func workbench(_ model: BundledModel) throws -> Workbench {
        let graph = try ONNXModel.load(contentsOf: try model.url)
        return try Workbench(
            graph: graph, heldOut: try DemoData.heldOutSet(), calibration: try DemoData.trainingSet().evenlySpaced(256))
    }

    /// Exports `plan`, re-reads the file, and checks our executor's predictions on the exported
    /// graph equal `Workbench.evaluate` of the plan on the float model; returns the re-read graph.
    @discardableResult
    static func roundTrip(_ plan: QuantPlan, model: BundledModel) throws -> Graph {
        let workbench = try workbench(model)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.onnx")
        let written = try QDQExporter.export(plan, using: workbench, to: url)
        let graph = try ONNXModel.load(contentsOf: url)
        #expect(graph.nodes == written.nodes)
        let expected = try workbench.evaluate(try workbench.apply(plan))
        let exported = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
        let actual = try exported.floatReport()
        #expect(actual.predictions == expected.predictions)
        #expect(actual.correctCount == expected.correctCount)
        return graph
    }

    static let plans: [LayerSettings] = [
        LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel),
        LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor),
        LayerSettings(bitWidth: 4, scheme: .symmetricFull, granularity: .channel, pruning: .pattern(keep: 2, of: 4)),
        LayerSettings(bitWidth: 8, scheme: .asymmetric, granularity: .channel, pruning: .threshold(0.02)),
        LayerSettings(bitWidth: 8, granularity: .channel, activationBits: 8, calibration: .minmax),
        LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor, activationBits: 6),
        LayerSettings(bitWidth: 12, scheme: .symmetric, granularity: .channel, activationBits: 16),
        LayerSettings(bitWidth: 4, scheme: .kmeans),
    ]

    @Test(arguments: plans) func ourExecutorReproducesTheWorkbenchOnTheMLP(settings: LayerSettings) throws {
        try Self.roundTrip(QuantPlan(defaults: settings), model: .mlp)
    }

    @Test func ourExecutorReproducesTheWorkbenchOnTheCNN() throws {
        let plan = QuantPlan(
            defaults: LayerSettings(
                bitWidth: 4, scheme: .asymmetric, granularity: .channel, activationBits: 8, calibration: .percentile))
        try Self.roundTrip(plan, model: .cnn)
    }

    @Test func integerInitializersAxesAndMetadata() throws {
        let plan = QuantPlan(
            defaults: LayerSettings(bitWidth: 8, scheme: .symmetric, granularity: .channel),
            layers: [
                "fc2": LayerSettings(bitWidth: 4, scheme: .asymmetric, granularity: .tensor, activationBits: 8),
                "fc3": LayerSettings(bitWidth: 4, scheme: .powerOfTwo),
            ])
        let graph = try Self.roundTrip(plan, model: .mlp)
        let float = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let layers = float.layers
        let fc1 = try #require(layers.first { $0.name == "fc1" })
        let fc2 = try #require(layers.first { $0.name == "fc2" })
        let fc3 = try #require(layers.first { $0.name == "fc3" })

        // fc1: int8 codes, 1-D scale and zero point along the output-channel axis.
        #expect(graph.initializers[fc1.weightName] == nil)
        let codes1 = "\(fc1.weightName)_quantized"
        #expect(graph.initializerTypes[codes1] == .int8)
        #expect(graph.initializers[codes1]?.shape == fc1.weightShape)
        #expect(graph.initializers["\(fc1.weightName)_scale"]?.shape == [fc1.weightShape[fc1.outputChannelAxis]])
        #expect(graph.initializerTypes["\(fc1.weightName)_zero_point"] == .int8)
        let dequantize1 = try #require(graph.nodes.first { $0.inputs.first == codes1 })
        #expect(dequantize1.op == .dequantizeLinear(axis: fc1.outputChannelAxis))
        #expect(graph.nodes.first { $0.name == "fc1" }?.inputs[1] == dequantize1.outputs[0])

        // fc2: uint4 codes (4-bit asymmetric), scalar scale and zero point; its output goes through Q/DQ.
        let codes2 = "\(fc2.weightName)_quantized"
        #expect(graph.initializerTypes[codes2] == .uint4)
        #expect(graph.initializerTypes["\(fc2.weightName)_zero_point"] == .uint4)
        #expect(ONNXGraphWriter.requiredOpset(graph) == 21)
        #expect(graph.initializers["\(fc2.weightName)_scale"]?.shape == [])
        #expect(graph.initializers["\(fc2.weightName)_zero_point"]?.shape == [])
        let output2 = float.nodes[fc2.nodeIndex].outputs[0]
        let quantize = try #require(graph.nodes.first { if case .quantizeLinear = $0.op { true } else { false } })
        // A Gemm output before its ReLU has negative values: signed codes.
        #expect(quantize.op == .quantizeLinear(axis: 1, elementType: .int8))
        #expect(quantize.inputs[0] == "\(output2)_float")
        #expect(graph.nodes.contains { $0.op == .dequantizeLinear(axis: 1) && $0.outputs == [output2] })

        // fc3: power-of-two has no DequantizeLinear form: float weights, listed as a fallback.
        #expect(graph.initializers[fc3.weightName] != nil)
        #expect(graph.initializerTypes[fc3.weightName] == nil)
        #expect(graph.metadata[QDQExporter.fallbackLayersKey] == "fc3")
        #expect(graph.metadata[QDQExporter.weightStorageKey]?.contains("fc1=int8 per-channel axis 0") == true)
        #expect(graph.metadata[QDQExporter.weightStorageKey]?.contains("fc2=uint4 per-tensor") == true)
        let planJSON = try #require(graph.metadata[QDQExporter.planKey])
        #expect(try QuantPlan.decoded(from: Data(planJSON.utf8), file: "metadata") == plan)
    }

    @Test func sixteenBitCodesUseOpset21AndGroupsFallBack() throws {
        let workbench = try Self.workbench(.mlp)
        let plan = QuantPlan(
            defaults: LayerSettings(bitWidth: 12, scheme: .asymmetric, granularity: .channel),
            layers: ["fc3": LayerSettings(bitWidth: 4, granularity: .group(size: 16))])
        let graph = try QDQExporter.qdqGraph(from: workbench.graph, quantized: try workbench.apply(plan))
        let codes = graph.initializerTypes.filter { $0.key.hasSuffix("_quantized") }
        #expect(codes.count == 2)
        #expect(codes.values.allSatisfy { $0 == .uint16 })
        #expect(ONNXGraphWriter.requiredOpset(graph) == 21)
        #expect(graph.metadata[QDQExporter.fallbackLayersKey] == "fc3")
    }

    @Test func refusesToOverwrite() throws {
        let workbench = try Self.workbench(.mlp)
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.onnx")
        try Data("keep".utf8).write(to: url)
        #expect(throws: ModelIOError.exists(path: url.relativePath)) {
            try QDQExporter.export(QuantPlan(defaults: LayerSettings(bitWidth: 8)), using: workbench, to: url)
        }
        #expect(try Data(contentsOf: url) == Data("keep".utf8))
    }
}
