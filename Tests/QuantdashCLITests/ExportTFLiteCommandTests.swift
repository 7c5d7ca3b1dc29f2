import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// `quantdash export --format tflite`: a TFLite flatbuffer, the line that says what was written,
/// and an existing file refused without `--force`.
@Suite struct ExportTFLiteCommandTests {
    @Test func theExportWritesATFLiteFileAndSaysWhichFormat() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(#"{ "version": 1, "default": { "bits": 8, "activationBits": 8 } }"#.utf8).write(to: plan)
        let out = folder.appendingPathComponent("cnn.tflite")
        let arguments = ["export", "--model", "demo-cnn", "--plan", plan.path, "--format", "tflite", "--out", out.path]
        let result = try TestSupport.runQuantdash(arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        let bytes = [UInt8](try Data(contentsOf: out))
        #expect(Array(bytes[4..<8]) == Array("TFL3".utf8))
        #expect(
            result.standardOutput.hasPrefix(
                "wrote \(out.path): TFLite model of demo-cnn, float32 with dequantized weights, "),
            "\(result.standardOutput)")
        #expect(result.standardOutput.contains(" \(bytes.count) bytes; "), "\(result.standardOutput)")
        #expect(result.standardOutput.hasSuffix(" activations quantize-dequantized\n"), "\(result.standardOutput)")

        let refused = try TestSupport.runQuantdash(arguments)
        #expect(refused.status != 0)
        #expect(refused.standardError == "Error: \(out.path) exists; pass --force to overwrite it\n")
    }
}
