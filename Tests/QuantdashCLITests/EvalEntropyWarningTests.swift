import Foundation
import QuantTestSupport
import Testing

/// `eval --plan` warns when entropy-calibrated layers come with a top-1 loss (the caveat of
/// docs/plan-format.md, where the demo CNN's conv1 is the example).
@Suite struct EvalEntropyWarningTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable { var top1: Double }
        var accuracy: Accuracy
        var floatAccuracy: Accuracy?
        var warnings: [String]?
    }

    private func eval(plan json: String, json isJSON: Bool) throws -> String {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("plan.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let result = try TestSupport.runQuantdash(
            ["eval", "--model", "demo-cnn", "--plan", path] + (isJSON ? ["--json"] : []))
        try #require(result.status == 0, "stderr: \(result.standardError)")
        return result.standardOutput
    }

    private static func plan(_ calibration: String) -> String {
        """
        { "version": 1, "layers": { "conv1": { "activationBits": 8, "calibration": "\(calibration)" } } }
        """
    }

    @Test func entropyOnConv1IsNamedWhenItCostsTopOne() throws {
        let output = try eval(plan: Self.plan("entropy"), json: true)
        let summary = try JSONDecoder().decode(Summary.self, from: Data(output.utf8))
        let float = try #require(summary.floatAccuracy)
        let drop = (float.top1 - summary.accuracy.top1) * 100
        // The documented example: entropy clips conv1's output and costs top-1.
        #expect(drop >= 0.5, "top-1 fell \(drop) pt")
        let warning = try #require(summary.warnings?.first)
        #expect(warning.contains("conv1") && warning.contains("\"entropy\"") && warning.contains("minmax"))
        #expect(warning.contains(String(format: "%.2f pt", drop)))
        let text = try eval(plan: Self.plan("entropy"), json: false)
        #expect(text.contains("  warning: top-1 is"), "\(text)")
    }

    @Test func minmaxOnConv1HasNoWarning() throws {
        let output = try eval(plan: Self.plan("minmax"), json: true)
        let summary = try JSONDecoder().decode(Summary.self, from: Data(output.utf8))
        #expect(summary.warnings == nil)
    }
}
