import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// The Markdown report: exact text for a small plan on the demo MLP, deterministic, written atomically.
@Suite struct ReportExporterTests {
    static let model = FileReference(path: "demo-mlp", sha256: "0123456789abcdef" + String(repeating: "a", count: 48))
    static let data = FileReference(path: "demo", sha256: "fedcba9876543210" + String(repeating: "b", count: 48))
    static let plan = QuantPlan(
        defaults: LayerSettings(bitWidth: 8),
        layers: [
            "fc1": LayerSettings(bitWidth: 4, granularity: .group(size: 32), pruning: .sparsity(0.5)),
            "fc2": LayerSettings(bitWidth: 8, activationBits: 8),
        ])
    static let command = "quantdash eval --model demo-mlp --data demo --plan plan.json"

    private func workbench() throws -> Workbench {
        try Workbench(
            graph: try ONNXModel.load(contentsOf: BundledModel.mlp.url), heldOut: try DemoData.heldOutSet(),
            calibration: try DemoData.trainingSet().evenlySpaced(256))
    }

    private func content(generatedAt: Date? = nil) throws -> ReportExporter.Content {
        let workbench = try workbench()
        let quantized = try workbench.apply(Self.plan)
        return ReportExporter.Content(
            plan: Self.plan, model: quantized, evaluation: try workbench.evaluate(quantized),
            floatEvaluation: try workbench.floatReport(), modelReference: Self.model, dataReference: Self.data,
            reproduceCommand: Self.command, generatedAt: generatedAt)
    }

    @Test func markdownForASmallPlanOnTheDemoMLP() throws {
        let text = ReportExporter.markdown(try content())
        let expected = """
            ## Quantization report: demo-mlp on demo

            Model `demo-mlp` (SHA-256 `0123456789ab`), data `demo` (SHA-256 `fedcba987654`), 1,000 held-out samples.

            ### Plan

            - default: 8-bit symmetric, channel
            - `fc1`: 4-bit symmetric, group 32, prune 50 %
            - `fc2`: 8-bit symmetric, channel, activations 8-bit

            ### Held-out accuracy

            | metric | float | quantized | Δ |
            |---|---:|---:|---:|
            | top-1 | 95.80 % | 96.00 % | +0.20 pt |
            | top-5 | 99.50 % | 99.70 % | +0.20 pt |
            | NLL | 0.1315 | 0.1349 | +0.0034 |

            Agreement with the float model: 98.90 % of predictions. Quantized top-1 95 % interval: 94.6–97.0 % (960/1000).

            Fidelity to the float model: agreement 98.90 %, KL 0.0062, cosine 0.99755, rel. MSE 1.22e-02.

            ### Size

            | | bytes |
            |---|---:|
            | float32 | 940,584 |
            | quantized | 137,040 |
            | ratio | 6.86× smaller |
            | precision loss | δ = 1 − 4.58/32 = 85.7 % |

            ### Layers

            | layer | op | weight shape | bits | scheme | granularity | prune | act bits | sparsity | SQNR dB | cosine | MSE | bytes | share |
            |---|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|
            | `fc1` | Gemm | 256×784 | 4 | symmetric | group 32 | 50 % | float | 50.0 % | 11.9 | 0.96696 | 1.392e-04 | 101,888 | 74.3 % |
            | `fc2` | Gemm | 128×256 | 8 | symmetric | channel | — | 8 | 1.0 % | 42.1 | 0.99997 | 2.722e-07 | 33,792 | 24.7 % |
            | `fc3` | Gemm | 10×128 | 8 | symmetric | channel | — | float | 0.6 % | 44.4 | 0.99998 | 3.604e-07 | 1,360 | 1.0 % |

            ### Reproduce

            ```sh
            quantdash eval --model demo-mlp --data demo --plan plan.json
            ```
            """
        #expect(text == expected + "\n", "got:\n\(text)")
    }

    @Test func aTimestampAppearsOnlyWhenInjected() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        let stamped = ReportExporter.markdown(try content(generatedAt: date))
        #expect(stamped.contains("Generated \(Timestamp.string(from: date))."))
        #expect(!ReportExporter.markdown(try content()).contains("Generated"))
    }

    @Test func settingsAreDescribedInWords() {
        #expect(ReportExporter.describe(.float) == "float weights")
        #expect(
            ReportExporter.describe(LayerSettings(bitWidth: 4, granularity: .group(size: 32), pruning: .sparsity(0.5)))
                == "4-bit symmetric, group 32, prune 50 %")
        #expect(
            ReportExporter.describe(LayerSettings(bitWidth: 8, granularity: .tensor, activationBits: 8))
                == "8-bit symmetric, tensor, activations 8-bit")
    }

    @Test func writesTheFileAndRefusesToOverwrite() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.md")
        let workbench = try workbench()
        let text = try ReportExporter.export(
            Self.plan, using: workbench, model: Self.model, data: Self.data, reproduceCommand: Self.command, to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == text)
        #expect(text == ReportExporter.markdown(try content()))
        #expect(throws: ModelIOError.exists(path: url.relativePath)) {
            try ReportExporter.export(
                Self.plan, using: workbench, model: Self.model, data: Self.data, reproduceCommand: Self.command,
                to: url)
        }
    }
}
