import Foundation
import QuantTestSupport
import Testing

/// Issue 17.1: `--equalize` on `eval` and `export`.
@Suite struct EqualizationCommandTests {
    @Test func evalMarksTheEqualizedLayersAndExportWritesTheEqualizedPlan() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(#"{ "version": 1, "default": { "bits": 3, "scheme": "symmetric", "granularity": "tensor" } }"#.utf8)
            .write(to: plan)
        let plain = try TestSupport.runQuantdash(["eval", "--plan", plan.path])
        let equalized = try TestSupport.runQuantdash(["eval", "--plan", plan.path, "--equalize", "--json"])
        #expect(plain.status == 0 && equalized.status == 0, "\(equalized.standardError)")
        #expect(!plain.standardOutput.contains("+eq"))
        // fc1 and fc2 are equalized with their next layers; fc3 (the last) is not.
        #expect(equalized.standardOutput.components(separatedBy: "\"equalize\" : true").count == 3)
        let both = try TestSupport.runQuantdash(["eval", "--plan", plan.path, "--equalize", "--bias-correction"])
        #expect(both.standardOutput.components(separatedBy: "3+ebc").count == 3, "\(both.standardOutput)")
        #expect(both.standardOutput.components(separatedBy: "3+bc").count == 2)  // fc3
        let config = folder.appendingPathComponent("config.json")
        let export = try TestSupport.runQuantdash([
            "export", "--plan", plan.path, "--equalize", "--format", "config", "--out", config.path,
        ])
        #expect(export.status == 0, "\(export.standardError)")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.components(separatedBy: "\"equalize\" : true").count == 3)
    }

    @Test func evalWithoutAPlanRefusesTheFlag() throws {
        let result = try TestSupport.runQuantdash(["eval", "--equalize"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--equalize needs --plan"))
    }
}
