import Foundation
import QuantTestSupport
import Testing

/// `quantdash eval --plan`: applies a plan, reports accuracy against float, size and layer metrics.
@Suite struct EvalPlanTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable {
            var top1: Double
            var agreement: Double?
            var correct: Int
        }
        struct Size: Decodable {
            var floatBytes: Int
            var bytes: Int
            var compressionRatio: Double
        }
        struct Layer: Decodable {
            var name: String
            var bits: String
            var scheme: String
            var granularity: String
            var prune: String
            var activationBits: Int?
            var sparsity: Double
            var sqnrDecibels: Double?
            var cosine: Double
            var bytes: Int
        }
        var accuracy: Accuracy
        var floatAccuracy: Accuracy?
        var size: Size
        var layers: [Layer]
    }

    private func withPlan(_ json: String, _ body: (String) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("plan.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        try body(path)
    }

    private func eval(_ arguments: [String]) throws -> Summary {
        let result = try TestSupport.runQuantdash(["eval", "--json"] + arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        return try JSONDecoder().decode(Summary.self, from: Data(result.standardOutput.utf8))
    }

    @Test func mixedPlanOnTheMLP() throws {
        let plan = """
            { "version": 1,
              "default": { "bits": 8, "scheme": "symmetric", "granularity": "channel" },
              "layers": { "fc1": { "bits": 4, "scheme": "asymmetric", "granularity": "tensor",
                                   "prune": { "threshold": 0.02 } },
                          "fc3": { "bits": "float" } } }
            """
        try withPlan(plan) { path in
            let summary = try eval(["--plan", path])
            let float = try #require(summary.floatAccuracy)
            #expect(float.correct == 958)
            #expect(abs(summary.accuracy.top1 - float.top1) < 0.02)
            #expect(try #require(summary.accuracy.agreement) > 0.95)
            #expect(summary.layers.map(\.bits) == ["4", "8", "float"])
            #expect(summary.layers[0].scheme == "asymmetric")
            #expect(summary.layers[0].granularity == "tensor")
            #expect(summary.layers[0].prune == "|w| ≤ 0.02")
            #expect(summary.layers[0].sparsity > 0.2)
            #expect(summary.layers[2].sqnrDecibels == nil)  // float: no error at all
            #expect(summary.layers[2].cosine == 1)
            #expect(summary.size.bytes < summary.size.floatBytes / 4)
            #expect(
                abs(summary.size.compressionRatio - Double(summary.size.floatBytes) / Double(summary.size.bytes)) < 1e-9
            )
        }
    }

    @Test func activationQuantizationOnTheCNN() throws {
        let plan = #"{ "version": 1, "default": { "bits": 8, "activationBits": 8, "calibration": "mse" } }"#
        try withPlan(plan) { path in
            let summary = try eval(["--model", "demo-cnn", "--plan", path])
            #expect(summary.layers.allSatisfy { $0.activationBits == 8 })
            #expect(try #require(summary.accuracy.agreement) > 0.97)
        }
    }

    @Test func textReportShowsDeltaAgreementAndLayerColumns() throws {
        try withPlan(#"{ "version": 1, "default": { "bits": 4 } }"#) { path in
            let result = try TestSupport.runQuantdash(["eval", "--plan", path])
            #expect(result.status == 0)
            #expect(result.standardOutput.contains("float 95.80 %, Δ"))
            #expect(result.standardOutput.contains("agreement"))
            #expect(result.standardOutput.contains("SQNR dB"))
            #expect(result.standardOutput.contains("× smaller"))
            // Every layer at 4 bits: δ = 1 − 4/32.
            #expect(result.standardOutput.contains("precision loss   δ = 1 − 4/32 = 87.5 %"))
        }
    }

    @Test(arguments: [
        (#"{ "version": 1, "layers": { "fc1": { "bits": 17 } } }"#, "layers.fc1.bits"),
        (#"{ "version": 1, "layers": { "fc9": { "bits": 4 } } }"#, "fc9"),
        (#"{ "version": 2 }"#, "unsupported plan version 2"),
        (#"{ "version": 1, "default": { "bits": 4, "colour": "red" } }"#, "colour"),
        (#"{ "version": 1, "default": { "bits": 4, "scheme": "nf4", "granularity": "channel" }"#, "invalid JSON"),
    ])
    func badPlansGiveOneLineNamingFileAndField(plan: String, expected: String) throws {
        try withPlan(plan) { path in
            let result = try TestSupport.runQuantdash(["eval", "--plan", path])
            #expect(result.status != 0)
            #expect(result.standardOutput.isEmpty)
            #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
            #expect(result.standardError.contains(path), "\(result.standardError)")
            #expect(result.standardError.contains(expected), "\(result.standardError)")
        }
    }

    @Test func missingPlanFileIsOneLineNamingIt() throws {
        let result = try TestSupport.runQuantdash(["eval", "--plan", "/nonexistent/plan.json"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("/nonexistent/plan.json"))
    }
}
