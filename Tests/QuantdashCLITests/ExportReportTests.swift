import Foundation
import QuantTestSupport
import Testing

/// `quantdash export --format report`: Markdown with the numbers `eval --plan` prints, never over a file by accident.
@Suite struct ExportReportTests {
    private static let plan = """
        { "version": 1, "default": { "bits": 8 },
          "layers": { "fc1": { "bits": 4, "granularity": "group", "groupSize": 32, "prune": { "sparsity": 0.5 } },
                      "fc2": { "activationBits": 8 } } }
        """

    private func withFolder(_ body: (URL) throws -> Void) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.plan.utf8).write(to: folder.appendingPathComponent("plan.json"))
        try body(folder)
    }

    @Test func writesTheReportWithTheReproduceCommand() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("plan.json").path
            let out = folder.appendingPathComponent("report.md").path
            let result = try TestSupport.runQuantdash(["export", "--plan", plan, "--format", "report", "--out", out])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            #expect(result.standardOutput.hasPrefix("wrote \(out): Markdown report ("), "\(result.standardOutput)")
            let text = try String(contentsOf: URL(fileURLWithPath: out), encoding: .utf8)
            #expect(text.hasPrefix("## Quantization report: demo-mlp on demo\n"))
            #expect(text.contains("### Layers"))
            #expect(text.contains("| `fc1` | Gemm | 256×784 | 4 | symmetric | group 32 | 50 % | float |"), "\(text)")
            #expect(text.contains("| `fc2` | Gemm | 128×256 | 8 | symmetric | channel | — | 8 |"), "\(text)")
            #expect(text.hasSuffix("```sh\nquantdash eval --model demo-mlp --data demo --plan \(plan)\n```\n"))

            // The numbers are those `eval --plan` prints.
            let eval = try TestSupport.runQuantdash(["eval", "--plan", plan, "--json"])
            try #require(eval.status == 0, "stderr: \(eval.standardError)")
            let summary = try JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as? [String: Any]
            let accuracy = summary?["accuracy"] as? [String: Any]
            let top1 = try #require(accuracy?["top1"] as? Double)
            #expect(text.contains(String(format: " %.2f %% |", top1 * 100)))
            let size = summary?["size"] as? [String: Any]
            let bytes = try #require(size?["bytes"] as? Int)
            #expect(text.contains("| quantized | \(grouped(bytes)) |"), "\(text)")
        }
    }

    @Test func theReproduceCommandQuotesPathsAndKeepsNonDefaultOptions() throws {
        try withFolder { folder in
            let spaced = folder.appendingPathComponent("my plans")
            try FileManager.default.createDirectory(at: spaced, withIntermediateDirectories: true)
            let plan = spaced.appendingPathComponent("it's.json").path
            try Data(Self.plan.utf8).write(to: URL(fileURLWithPath: plan))
            let out = folder.appendingPathComponent("report.md").path
            let result = try TestSupport.runQuantdash([
                "export", "--plan", plan, "--format", "report", "--out", out, "--calibration-count", "64",
            ])
            try #require(result.status == 0, "stderr: \(result.standardError)")
            let text = try String(contentsOf: URL(fileURLWithPath: out), encoding: .utf8)
            let quoted = "'" + plan.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
            let command = "quantdash eval --model demo-mlp --data demo --calibration-count 64 --plan \(quoted)"
            #expect(text.hasSuffix("```sh\n\(command)\n```\n"), "\(text)")
        }
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        try withFolder { folder in
            let plan = folder.appendingPathComponent("plan.json").path
            let out = folder.appendingPathComponent("report.md")
            try Data("keep me\n".utf8).write(to: out)
            let arguments = ["export", "--plan", plan, "--format", "report", "--out", out.path]
            let refused = try TestSupport.runQuantdash(arguments)
            #expect(refused.status != 0)
            #expect(refused.standardOutput.isEmpty)
            #expect(refused.standardError == "Error: \(out.path) exists; pass --force to overwrite it\n")
            #expect(try Data(contentsOf: out) == Data("keep me\n".utf8))

            let forced = try TestSupport.runQuantdash(arguments + ["--force"])
            #expect(forced.status == 0, "stderr: \(forced.standardError)")
            #expect(try String(contentsOf: out, encoding: .utf8).hasPrefix("## Quantization report"))
        }
    }

    /// `940584` → `"940,584"`.
    private func grouped(_ value: Int) -> String {
        var digits = Array(String(value))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }
}
