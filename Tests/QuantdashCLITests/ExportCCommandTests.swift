import Foundation
import QuantTestSupport
import Testing

/// `quantdash export --format c`: where the files go, what it prints, overwriting.
@Suite struct ExportCCommandTests {
    private static let plan = #"{ "version": 1, "default": { "bits": 4, "scheme": "asymmetric" } }"#

    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.plan.utf8).write(to: folder.appendingPathComponent("plan.json"))
        try body(folder)
    }

    @Test func aBasenameNamesTheFilesAndTheSymbols() throws {
        try withFolder { folder in
            let base = folder.appendingPathComponent("mlp4").path
            let plan = folder.appendingPathComponent("plan.json").path
            let arguments = ["export", "--plan", plan, "--format", "c", "--out", base]
            let result = try TestSupport.runQuantdash(arguments)
            try #require(result.status == 0, "stderr: \(result.standardError)")
            #expect(result.standardOutput.hasPrefix("wrote \(base).h and \(base).c: C99 model of demo-mlp, "))
            let header = try String(contentsOfFile: base + ".h", encoding: .utf8)
            let source = try String(contentsOfFile: base + ".c", encoding: .utf8)
            #expect(header.contains("int mlp4_predict(const float *input, float *logits);"))
            #expect(header.contains("#define MLP4_INPUT_COUNT 784\n"))
            #expect(header.contains("#define MLP4_OUTPUT_COUNT 10\n"))
            #expect(header.contains("#define MLP4_RAM_BYTES \(4 * (256 + 256 + 784))\n"))
            #expect(source.contains("static const uint8_t mlp4_fc1_codes[100352] = {"))  // 784 · 256 · 4 / 8
            #expect(!source.contains("malloc"))

            let refused = try TestSupport.runQuantdash(arguments)
            #expect(refused.status != 0)
            #expect(refused.standardError == "Error: \(base).h exists; pass --force to overwrite it\n")
            let forced = try TestSupport.runQuantdash(arguments + ["--force"])
            #expect(forced.status == 0, "stderr: \(forced.standardError)")
        }
    }

    @Test func aFolderTakesTheModelsName() throws {
        try withFolder { folder in
            let result = try TestSupport.runQuantdash([
                "export", "--model", "demo-cnn", "--plan", folder.appendingPathComponent("plan.json").path,
                "--format", "c", "--out", folder.path,
            ])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("demo_cnn.h").path))
            let source = try String(contentsOf: folder.appendingPathComponent("demo_cnn.c"), encoding: .utf8)
            #expect(source.contains("int demo_cnn_predict(const float *input, float *logits)"))
        }
    }
}
