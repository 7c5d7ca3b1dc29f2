import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// `quantdash export --format onnx`: a QDQ model that our own executor runs to the numbers
/// `eval --plan` reports, with the plan, fallbacks and file digests in its metadata.
@Suite struct ExportONNXCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable {
            var top1: Double
        }
        var accuracy: Accuracy
    }

    private static let plan = """
        { "version": 1, "default": { "bits": 8 },
          "layers": { "fc1": { "bits": 4, "granularity": "group", "groupSize": 32, "prune": { "sparsity": 0.5 } },
                      "fc2": { "activationBits": 8 } } }
        """

    @Test func theExportRunsToTheNumbersEvalReports() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(Self.plan.utf8).write(to: plan)
        let out = folder.appendingPathComponent("model.onnx")
        let arguments = ["export", "--plan", plan.path, "--format", "onnx", "--out", out.path]
        let result = try TestSupport.runQuantdash(arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        #expect(
            result.standardOutput
                == "wrote \(out.path): ONNX QDQ model of demo-mlp, 3 DequantizeLinear nodes; "
                + "float fallback layers: fc1\n")

        let graph = try ONNXModel.load(contentsOf: out)
        #expect(graph.metadata[QDQExporter.fallbackLayersKey] == "fc1")
        #expect(graph.metadata["quantdash.model_sha256"]?.count == 64)
        #expect(graph.metadata["quantdash.data_sha256"]?.count == 64)
        let embedded = try QuantPlan.decoded(from: Data((graph.metadata[QDQExporter.planKey] ?? "").utf8), file: "m")
        #expect(embedded == (try QuantPlan.decoded(from: Data(Self.plan.utf8), file: "plan.json")))

        let eval = try TestSupport.runQuantdash(["eval", "--json", "--plan", plan.path])
        try #require(eval.status == 0, "stderr: \(eval.standardError)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(eval.standardOutput.utf8))
        let workbench = try Workbench(graph: graph, heldOut: try DemoData.heldOutSet(), calibration: nil)
        #expect(try workbench.floatReport().top1 == summary.accuracy.top1)

        let refused = try TestSupport.runQuantdash(arguments)
        #expect(refused.status != 0)
        #expect(refused.standardError == "Error: \(out.path) exists; pass --force to overwrite it\n")
        #expect(try TestSupport.runQuantdash(arguments + ["--force"]).status == 0)
    }
}
