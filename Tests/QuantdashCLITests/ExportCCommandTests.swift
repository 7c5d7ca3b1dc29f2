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
            #expect(result.standardOutput.contains(", float with decoded weights, "))
            #expect(result.standardOutput.contains("\(4 * (256 + 256 + 784)) bytes of peak RAM (no integer form: "))
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

    @Test func anInt8PlanIsWrittenInIntegerFormWithItsFlashAndRAM() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("int8.json")
            try Data(
                #"{ "version": 1, "default": { "bits": 8, "scheme": "symmetric", "activationBits": 8 } }"#.utf8
            ).write(to: plan)
            let base = folder.appendingPathComponent("cnn8").path
            let result = try TestSupport.runQuantdash([
                "export", "--model", "demo-cnn", "--plan", plan.path, "--format", "c", "--out", base,
            ])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            let line = result.standardOutput
            #expect(line.contains("C99 model of demo-cnn, integer int8 (float requantization), "), "\(line)")
            let header = try String(contentsOfFile: base + ".h", encoding: .utf8)
            func number(_ pattern: String, in text: String) -> String? {
                guard let range = text.range(of: pattern, options: .regularExpression) else { return nil }
                return String(text[range]).split(separator: " ").first { Int($0) != nil }.map(String.init)
            }
            let flash = try #require(number("\\d+ bytes of flash", in: line))
            let ram = try #require(number("\\d+ bytes of peak RAM", in: line))
            #expect(header.contains("#define CNN8_FLASH_BYTES \(flash)\n"))
            #expect(header.contains("#define CNN8_RAM_BYTES \(ram)\n"))
            #expect(header.contains("int cnn8_predict_codes(const cnn8_input_code *input, cnn8_output_code *output);"))
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
