import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// `quantdash export --format tflite`: a TFLite flatbuffer, the line that says which form was
/// written and why, `--int8-io`, and an existing file refused without `--force`.
@Suite struct ExportTFLiteCommandTests {
    static func run(_ planJSON: String, extra: [String] = []) throws -> (ProcessResult, URL, URL) {
        let folder = try TestSupport.temporaryDirectory()
        let plan = folder.appendingPathComponent("plan.json")
        try Data(planJSON.utf8).write(to: plan)
        let out = folder.appendingPathComponent("cnn.tflite")
        let arguments =
            ["export", "--model", "demo-cnn", "--plan", plan.path, "--format", "tflite", "--out", out.path] + extra
        return (try TestSupport.runQuantdash(arguments), out, folder)
    }

    @Test func anInt8PlanWritesTheFullIntegerForm() throws {
        let (result, out, folder) = try Self.run(#"{ "version": 1, "default": { "bits": 8, "activationBits": 8 } }"#)
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(result.status == 0, "stderr: \(result.standardError)")
        let bytes = [UInt8](try Data(contentsOf: out))
        #expect(Array(bytes[4..<8]) == Array("TFL3".utf8))
        #expect(
            result.standardOutput.hasPrefix("wrote \(out.path): TFLite model of demo-cnn, full-integer int8, "),
            "\(result.standardOutput)")
        #expect(result.standardOutput.contains(" \(bytes.count) bytes ("), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix("; float input and output)\n"), "\(result.standardOutput)")
    }

    @Test func aFourBitPlanWritesTheFloatFormAndSaysWhy() throws {
        let plan = #"{ "version": 1, "default": { "bits": 4, "activationBits": 8 } }"#
        let (result, out, folder) = try Self.run(plan)
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(result.status == 0, "stderr: \(result.standardError)")
        let bytes = [UInt8](try Data(contentsOf: out))
        #expect(
            result.standardOutput.hasPrefix(
                "wrote \(out.path): TFLite model of demo-cnn, float32 with dequantized weights, "),
            "\(result.standardOutput)")
        #expect(result.standardOutput.contains(" \(bytes.count) bytes; "), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("(no full-integer form: layer "), "\(result.standardOutput)")
        #expect(result.standardOutput.contains("4-bit weights"), "\(result.standardOutput)")

        let refused = try TestSupport.runQuantdash(
            [
                "export", "--model", "demo-cnn", "--plan", folder.appendingPathComponent("plan.json").path, "--format",
                "tflite", "--out", out.path,
            ])
        #expect(refused.status != 0)
        #expect(refused.standardError == "Error: \(out.path) exists; pass --force to overwrite it\n")
    }

    @Test func int8IOWithoutAnInt8FormIsRefusedInOneLine() throws {
        let plan = #"{ "version": 1, "default": { "bits": 4, "activationBits": 8 } }"#
        let (result, out, folder) = try Self.run(plan, extra: ["--int8-io"])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(result.status != 0)
        #expect(result.standardError.hasPrefix("Error: "), "\(result.standardError)")
        #expect(result.standardError.contains("int8 input and output need a full-integer model"))
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
