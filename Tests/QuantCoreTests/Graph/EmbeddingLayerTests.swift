import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// A Gather over a constant float table (a token embedding) is a quantizable layer with one scale
/// per table row; a MatMul with a constant weight is one with its bias-Add; the QDQ export
/// dequantizes the table feeding the Gather; the C export refuses the table in one line.
@Suite struct EmbeddingLayerTests {
    /// ids [N, 3] → Gather(table [10, 4]) → MatMul(w [4, 3]) → Add(b [3]) → y [N, 3, 3].
    static func graph(tableType: ElementType? = nil, axis: Int = 0) -> Graph {
        var random = SplitMix64(seed: 3)
        func values(_ count: Int, scale: Float) -> [Float] { (0..<count).map { _ in random.nextGaussian() * scale } }
        // Rows of very different magnitudes, so one scale per row matters.
        let table = (0..<10).flatMap { row in values(4, scale: Float(row + 1)) }
        var types: [String: ElementType] = [:]
        if let tableType { types["table"] = tableType }
        return Graph(
            name: "embedding", inputs: [ValueInfo(name: "ids", elementType: .int64, shape: [nil, 3])],
            outputs: [ValueInfo(name: "y", shape: [nil, 3, 3])],
            initializers: [
                "table": Tensor(shape: [10, 4], storage: tableType == nil ? table : table.map { $0.rounded() }),
                "w": Tensor(shape: [4, 3], storage: values(12, scale: 0.5)),
                "b": Tensor(shape: [3], storage: [1, 2, 3]),
            ],
            initializerTypes: types,
            nodes: [
                Node(name: "embed", op: .gather(axis: axis), inputs: ["table", "ids"], outputs: ["e"]),
                Node(name: "proj", op: .matMul, inputs: ["e", "w"], outputs: ["m"]),
                Node(name: "proj_bias", op: .add, inputs: ["m", "b"], outputs: ["y"]),
            ])
    }

    static let ids = Tensor(shape: [4, 3], storage: [0, 9, 3, 5, 5, 1, 2, 8, 7, 6, 4, 0])

    static func workbench() throws -> Workbench {
        var data = try Dataset(name: "ids", images: Self.ids, labels: [0, 0, 0, 0], classCount: 1)
        data.hasLabels = false
        return try Workbench(graph: Self.graph(), heldOut: data, calibration: nil)
    }

    static let plan = QuantPlan(defaults: LayerSettings(bitWidth: 4, scheme: .symmetric, granularity: .channel))

    @Test func aGatherOverAConstantFloatTableIsALayerAndTheMatMulKeepsItsBias() throws {
        let layers = Self.graph().layers
        #expect(layers.map(\.name) == ["embed", "proj"])
        let embed = try #require(layers.first)
        #expect(embed.opName == "Gather" && embed.weightName == "table" && embed.weightInputIndex == 0)
        #expect(embed.outputChannelAxis == 0 && embed.weightShape == [10, 4] && embed.biasName == nil)
        #expect(layers[1].biasName == "b" && layers[1].weightInputIndex == 1 && layers[1].biasCount == 3)
        // Integer tables (shapes, index maps) and other axes are lookups, not weights.
        #expect(Self.graph(tableType: .int64).layers.map(\.name) == ["proj"])
        #expect(Self.graph(axis: 1).layers.map(\.name) == ["proj"])
    }

    @Test func theTableIsQuantizedRowByRowAndEvaluatedAsLookedUp() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.plan)
        let report = try #require(model.report(for: "embed"))
        let quantized = try #require(report.quantized)
        #expect(quantized.scales.count == 10, "one scale per token row")
        #expect(Set(quantized.scales).count == 10)
        for row in 0..<10 {
            for column in 0..<4 {
                let code = quantized.dequantized[row * 4 + column] / quantized.scales[row]
                #expect(abs(code - code.rounded()) <= 1e-4 && abs(code) <= 8, "row \(row): a whole code")
            }
        }
        #expect(report.size.quantizedBytes < report.size.floatBytes)
        #expect(model.size.layers.map(\.name).contains("embed"))
        // The quantized model's output, computed by hand from the dequantized table and weight.
        let table = quantized.dequantized
        let weight = try #require(model.report(for: "proj")?.quantized?.dequantized)
        var expected: [Float] = []
        for id in Self.ids.storage {
            let row = Array(table[(Int(id) * 4)..<(Int(id) * 4 + 4)])
            for j in 0..<3 { expected.append((0..<4).reduce(0) { $0 + row[$1] * weight[$1 * 3 + j] } + Float(j + 1)) }
        }
        let output = try #require(
            try GraphExecutor(graph: workbench.graph).run(["ids": Self.ids], weightOverrides: model.weightOverrides)[
                "y"])
        #expect(output.shape == [4, 3, 3])
        for (a, b) in zip(output.storage, expected) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
        // Evaluation sees an embedding, not classes: fidelity without KL.
        let fidelity = try #require(try workbench.evaluate(model).fidelity)
        #expect(fidelity.kl == nil && fidelity.cosine < 1 && fidelity.cosine > 0.5)
        // The plan names the layer; written and read back it quantizes the same.
        let named = QuantPlan(layers: ["embed": LayerSettings(bitWidth: 4, scheme: .symmetric, granularity: .channel)])
        let decoded = try QuantPlan.decoded(from: try named.encoded(), file: "plan.json")
        #expect(try workbench.apply(decoded).report(for: "embed")?.quantized?.dequantized == table)
    }

    @Test func theQDQExportDequantizesTheTableFeedingTheGather() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.plan)
        let qdq = try QDQExporter.qdqGraph(from: workbench.graph, quantized: model)
        let gather = try #require(qdq.nodes.first { $0.name == "embed" })
        let producer = try #require(qdq.nodes.first { $0.outputs.contains(gather.inputs[0]) })
        #expect(producer.op == .dequantizeLinear(axis: 0))
        #expect(qdq.initializers["table"] == nil, "the float table is replaced by its codes")
        // The export, written and read back, computes what quantdash evaluates.
        let reread = try ONNXModel.decode(try ONNXModel.encode(qdq), source: "qdq.onnx")
        let ours = try GraphExecutor(graph: workbench.graph).run(
            ["ids": Self.ids], weightOverrides: model.weightOverrides)
        let theirs = try GraphExecutor(graph: reread).run(["ids": Self.ids])
        #expect(theirs["y"] == ours["y"])
    }

    @Test func theCExportRefusesAnEmbeddingInOneLine() throws {
        let workbench = try Self.workbench()
        let model = try workbench.apply(Self.plan)
        let error = try #require(throws: ModelIOError.self) {
            try CExporter.generate(model, graph: workbench.graph, name: "enc", path: "enc")
        }
        let message = "\(error)"
        #expect(message.contains("embed") && message.contains("Gather") && message.contains("QDQ"))
        #expect(!message.contains("\n"))
    }

    @Test func aNonFiniteTableIsRefusedAsAWeightButAMaskConstantIsNot() throws {
        var graph = Self.graph()
        graph.initializers["table"]?.storage[5] = -.infinity
        let error = try #require(throws: ModelIOError.self) {
            try ONNXModel.decode(try ONNXModel.encode(graph), source: "bad.onnx")
        }
        #expect("\(error)".contains("table") && "\(error)".contains("finite"))
        // A −∞ constant that is no layer's weight (an attention mask added to scores) loads.
        var masked = Self.graph()
        masked.initializers["mask"] = Tensor(shape: [3], storage: [0, -.infinity, 0])
        masked.nodes.append(Node(name: "masked", op: .add, inputs: ["y", "mask"], outputs: ["z"]))
        masked.outputs = [ValueInfo(name: "z", shape: [nil, 3, 3])]
        let loaded = try ONNXModel.decode(try ONNXModel.encode(masked), source: "mask.onnx")
        #expect(loaded.layers.map(\.name) == ["embed", "proj"])
    }
}
