import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// Issue 16.4: NaN or infinite logits are counted, traced to the node that first produces
/// them, kept out of the mean NLL, and the report still encodes as JSON.
@Suite struct NonFiniteOutputTests {
    @Test func theEvaluatorCountsNonFiniteRowsAndAveragesTheOthers() throws {
        // Row 0: [2, 1, 0], label 0 → NLL log(1 + e⁻¹ + e⁻²). Rows 1 and 2 hold NaN and +∞.
        let rows: [[Float]] = [[2, 1, 0], [.nan, 1, 0], [0, .infinity, 0], [2, 1, 0]]
        let data = try Dataset(
            name: "hand", images: Tensor(shape: [4, 3], storage: rows.flatMap { $0 }), labels: [0, 0, 1, 0],
            classCount: 3)
        let report = try Evaluator(batchSize: 3).evaluate(data) { $0 }
        let expectedNLL = log(1 + exp(-1.0) + exp(-2.0))
        #expect(abs(report.meanNLL - expectedNLL) < 1e-12)
        #expect(report.nonFinite == NonFiniteOutputs(sampleCount: 2, firstSample: 1))
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(EvalReport.self, from: json)
        #expect(decoded == report)
    }

    @Test func finiteLogitsLeaveNoRecord() throws {
        let data = try Dataset(
            name: "hand", images: Tensor(shape: [2, 2], storage: [1, 0, 0, 1]), labels: [0, 1], classCount: 2)
        let report = try Evaluator().evaluate(data) { $0 }
        #expect(report.nonFinite == nil)
        // A report from before the field existed still decodes.
        var object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        object.removeValue(forKey: "nonFinite")
        let old = try JSONDecoder().decode(EvalReport.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == report)
    }

    @Test func anInfiniteBiasIsTracedToItsLayer() throws {
        var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let last = try #require(graph.layers.last)
        let biasName = try #require(last.biasName)
        var bias = try #require(graph.initializers[biasName])
        bias.storage[3] = .infinity
        graph.initializers[biasName] = bias
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(50), calibration: nil)
        let report = try workbench.floatReport()
        let nonFinite = try #require(report.nonFinite)
        #expect(nonFinite.sampleCount == 50)
        #expect(nonFinite.firstSample == 0)
        let node = graph.nodes[last.nodeIndex]
        #expect(nonFinite.firstNode == "\(node.name) (\(node.op.onnxName))")
        #expect(report.meanNLL == 0)  // no sample has finite logits
        #expect(report.finiteMeanNLL == nil)
        #expect(PlanResults(evaluation: report, model: try workbench.apply(QuantPlan())).meanNLL.isNaN)
        #expect(nonFinite.summary(of: 50).contains("for 50 of 50 samples"))
        _ = try JSONEncoder().encode(report)
        // A quantized evaluation of the same model reports it too.
        let quantized = try workbench.evaluate(try workbench.apply(QuantPlan(defaults: LayerSettings(bitWidth: 8))))
        #expect(quantized.nonFinite?.firstNode == nonFinite.firstNode)
    }

    @Test func aNaNInTheFirstLayerIsNamedNotALaterOne() throws {
        var graph = try ONNXModel.load(contentsOf: try BundledModel.mlp.url)
        let first = try #require(graph.layers.first)
        var weight = try #require(graph.initializers[first.weightName])
        weight.storage = weight.storage.map { _ in Float.nan }
        graph.initializers[first.weightName] = weight
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet().first(10), calibration: nil)
        let node = graph.nodes[first.nodeIndex]
        #expect(workbench.firstNonFiniteNode(sample: 4, model: nil) == "\(node.name) (\(node.op.onnxName))")
    }
}
