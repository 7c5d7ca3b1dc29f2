import Foundation
import QuantTestSupport
import Testing

/// Issue 18.1: `--requantization float|fixed-point` picks the integer model's arithmetic in
/// `eval --integer` and the C export, says which ran, and is refused where it means nothing.
@Suite struct RequantizationCommandTests {
    @Test func evalSaysWhichRequantizationRan() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try LatencyCommandTests.writePlan(in: folder)
        func integerObject(_ extra: [String]) throws -> [String: Any] {
            let result = try TestSupport.runQuantdash(
                [
                    "eval", "--model", "demo-cnn", "--plan", plan.path, "--integer", "--latency-runs", "0", "--limit",
                    "100",
                ]
                    + extra + ["--json"])
            #expect(result.status == 0, "\(result.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
            return try #require(object?["integer"] as? [String: Any])
        }
        #expect(try integerObject([])["requantization"] as? String == "float")
        let fixed = try integerObject(["--requantization", "fixed-point"])
        #expect(fixed["requantization"] as? String == "fixed-point")
        #expect(((fixed["top1"] as? Double) ?? 0) > 0.9)
        let text = try TestSupport.runQuantdash([
            "eval", "--model", "demo-mlp", "--plan", plan.path, "--integer", "--latency-runs", "0", "--limit", "50",
            "--requantization", "fixed-point",
        ])
        #expect(text.status == 0, "\(text.standardError)")
        #expect(text.standardOutput.contains("fixed-point requantization"), "\(text.standardOutput)")
    }

    @Test func theCExportFollowsTheChoiceAndSaysSo() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try LatencyCommandTests.writePlan(in: folder)
        let base = folder.appendingPathComponent("qmlp").path
        let result = try TestSupport.runQuantdash([
            "export", "--model", "demo-mlp", "--plan", plan.path, "--format", "c", "--out", base,
            "--requantization", "fixed-point",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("integer int8 (fixed-point requantization)"), "\(result.standardOutput)")
        let source = try String(contentsOfFile: base + ".c", encoding: .utf8)
        #expect(source.contains("qd_requantize_fixed(acc"))
        #expect(!source.contains("qd_requantize(acc"))
        let header = try String(contentsOfFile: base + ".h", encoding: .utf8)
        #expect(header.contains("eval --integer --requantization fixed-point"))
    }

    @Test func requantizationIsRefusedWhereItMeansNothing() throws {
        let alone = try TestSupport.runQuantdash(["eval", "--requantization", "fixed-point"])
        #expect(alone.status != 0)
        #expect(alone.standardError.contains("--requantization needs --integer"), "\(alone.standardError)")
        let unknown = try TestSupport.runQuantdash([
            "eval", "--plan", "whatever.json", "--integer", "--requantization", "double",
        ])
        #expect(unknown.status != 0)
        #expect(unknown.standardError.contains("--requantization"), "\(unknown.standardError)")
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try LatencyCommandTests.writePlan(in: folder)
        let tflite = try TestSupport.runQuantdash([
            "export", "--model", "demo-mlp", "--plan", plan.path, "--format", "tflite", "--out",
            folder.appendingPathComponent("m.tflite").path, "--requantization", "fixed-point",
        ])
        #expect(tflite.status != 0)
        #expect(tflite.standardError.contains("--requantization applies to --format c only"), "\(tflite.standardError)")
    }
}
