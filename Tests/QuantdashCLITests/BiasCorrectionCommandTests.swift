import Foundation
import QuantTestSupport
import Testing

/// Issue 17.1: `--bias-correction` on `eval` and `export`.
@Suite struct BiasCorrectionCommandTests {
    @Test func evalMarksTheCorrectedLayersAndExportWritesTheCorrectedPlan() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(#"{ "version": 1, "default": { "bits": 3, "scheme": "asymmetric", "granularity": "tensor" } }"#.utf8)
            .write(to: plan)
        let plain = try TestSupport.runQuantdash(["eval", "--plan", plan.path])
        let corrected = try TestSupport.runQuantdash(["eval", "--plan", plan.path, "--bias-correction"])
        #expect(plain.status == 0 && corrected.status == 0, "\(corrected.standardError)")
        #expect(!plain.standardOutput.contains("+bc"))
        #expect(corrected.standardOutput.components(separatedBy: "3+bc").count == 4)  // fc1, fc2, fc3
        let config = folder.appendingPathComponent("config.json")
        let export = try TestSupport.runQuantdash([
            "export", "--plan", plan.path, "--bias-correction", "--format", "config", "--out", config.path,
        ])
        #expect(export.status == 0, "\(export.standardError)")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.components(separatedBy: "\"biasCorrection\" : true").count == 4)
    }

    @Test func evalWithoutAPlanRefusesTheFlag() throws {
        let result = try TestSupport.runQuantdash(["eval", "--bias-correction"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--bias-correction needs --plan"))
    }
}
