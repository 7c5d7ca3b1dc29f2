import Foundation
import QuantTestSupport
import Testing

/// Issue 17.1: `--learned-rounding` on `eval` and `export`, and plans asking for it where it cannot apply.
@Suite struct LearnedRoundingCommandTests {
    /// Only the MLP's small last layer is quantized, so the debug build learns it quickly.
    static let plan = #"{ "version": 1, "layers": { "fc3": { "bits": 3, "scheme": "asymmetric" } } }"#

    @Test func evalMarksTheLearnedLayerAndExportWritesThePlan() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(Self.plan.utf8).write(to: plan)
        let plain = try TestSupport.runQuantdash(["eval", "--plan", plan.path])
        let learned = try TestSupport.runQuantdash(["eval", "--plan", plan.path, "--learned-rounding"])
        #expect(plain.status == 0 && learned.status == 0, "\(learned.standardError)")
        #expect(!plain.standardOutput.contains("+ar"))
        #expect(learned.standardOutput.components(separatedBy: "3+ar").count == 2)  // fc3 only
        let both = try TestSupport.runQuantdash([
            "eval", "--plan", plan.path, "--learned-rounding", "--bias-correction",
        ])
        #expect(both.standardOutput.contains("3+ab"), "\(both.standardError)")
        let config = folder.appendingPathComponent("config.json")
        let export = try TestSupport.runQuantdash([
            "export", "--plan", plan.path, "--learned-rounding", "--format", "config", "--out", config.path,
        ])
        #expect(export.status == 0, "\(export.standardError)")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.components(separatedBy: #""rounding" : "learned""#).count == 2)
    }

    @Test func badPlansAndAMissingPlanAreRefusedInOneLine() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TestSupport.runQuantdash(["eval", "--learned-rounding"])
        #expect(result.status != 0 && result.standardError.contains("--learned-rounding needs --plan"))
        let kmeans = folder.appendingPathComponent("kmeans.json")
        try Data(
            #"{ "version": 1, "layers": { "fc3": { "bits": 3, "scheme": "kmeans", "rounding": "learned" } } }"#.utf8
        )
        .write(to: kmeans)
        let refused = try TestSupport.runQuantdash(["eval", "--plan", kmeans.path])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("kmeans.json"), "\(refused.standardError)")
        #expect(refused.standardError.contains("layers.fc3.rounding: learned rounding needs an affine scheme"))
        let unknown = folder.appendingPathComponent("unknown.json")
        try Data(#"{ "version": 1, "layers": { "fc3": { "bits": 3, "rounding": "up" } } }"#.utf8).write(to: unknown)
        let decoding = try TestSupport.runQuantdash(["eval", "--plan", unknown.path])
        #expect(decoding.status != 0 && decoding.standardError.contains("layers.fc3.rounding"))
        #expect(decoding.standardError.contains("unknown.json"))
    }
}
