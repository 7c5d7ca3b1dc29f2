import Foundation
import QuantCore
import QuantTestSupport
import Testing

/// `quantdash finetune`: writes a model whose `eval --plan` figure is the one it printed.
@Suite struct FinetuneCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable { var correct: Int }
        var accuracy: Accuracy
    }

    @Test func evalReproducesThePrintedFigureAndTheSessionReferencesTheModel() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("w2.json").path
        try Data(#"{"version": 1, "default": {"bits": 2, "scheme": "asymmetric", "granularity": "channel"}}"#.utf8)
            .write(to: URL(fileURLWithPath: plan))
        let out = folder.appendingPathComponent("tuned.onnx").path
        let sessions = folder.appendingPathComponent("Sessions").path
        let run = try TestSupport.runQuantdash([
            "finetune", "--model", "demo-mlp", "--plan", plan, "--steps", "40", "--out", out, "--session", "tuned",
            "--sessions-folder", sessions,
        ])
        try #require(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardError.contains("epoch 1: mean loss"))
        // "  held-out top-1   86.20 % (862/1000) before → 93.10 % (931/1000) after (…)"
        let line = try #require(run.standardOutput.split(separator: "\n").first { $0.contains("held-out top-1") })
        let counts = line.split(separator: "(").dropFirst().compactMap { $0.split(separator: "/").first }.compactMap {
            Int($0)
        }
        try #require(counts.count == 2, "\(line)")
        #expect(counts[1] > counts[0], "\(line)")
        let digest = try FileDigest.sha256(of: URL(fileURLWithPath: out))
        #expect(run.standardOutput.contains("wrote \(out) (sha256 \(digest))"))

        let eval = try TestSupport.runQuantdash(["eval", "--json", "--model", out, "--plan", plan])
        try #require(eval.status == 0, "stderr: \(eval.standardError)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(eval.standardOutput.utf8))
        #expect(summary.accuracy.correct == counts[1])

        let preset = try SessionStore(folder: URL(fileURLWithPath: sessions, isDirectory: true)).load(named: "tuned")
        #expect(preset.model.path == out && preset.model.sha256 == digest)
    }

    @Test func refusesAModelWithANodeItCannotTrain() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var graph = try ONNXModel.load(contentsOf: BundledModel.mlp.url)
        let index = try #require(graph.nodes.firstIndex { $0.name == "relu1" })
        graph.nodes[index].op = .softplus  // no backward pass (a Sigmoid would train through the graph)
        let model = folder.appendingPathComponent("softplus.onnx").path
        try ONNXModel.write(graph, to: URL(fileURLWithPath: model))
        let plan = folder.appendingPathComponent("plan.json").path
        try Data(#"{"version": 1, "default": {"bits": 4}}"#.utf8).write(to: URL(fileURLWithPath: plan))
        let out = folder.appendingPathComponent("out.onnx").path
        let run = try TestSupport.runQuantdash(["finetune", "--model", model, "--plan", plan, "--out", out])
        #expect(run.status != 0)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(run.standardError.contains("\(model): cannot fine-tune node 'relu1' (Softplus)"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A residual CNN with strides, BatchNormalization and a depthwise Conv (only the whole-graph
    /// backward pass trains it), kept scales: accepted, trained, and `eval` reproduces the figure.
    @Test func finetunesAResidualModelThroughTheGraphBackwardPass() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/finetune-residual.onnx").path
        let plan = folder.appendingPathComponent("w2.json").path
        try Data(#"{"version": 1, "default": {"bits": 2, "scheme": "asymmetric", "granularity": "channel"}}"#.utf8)
            .write(to: URL(fileURLWithPath: plan))
        let out = folder.appendingPathComponent("tuned.onnx").path
        let run = try TestSupport.runQuantdash([
            "finetune", "--model", model, "--plan", plan, "--steps", "60", "--batch-size", "32", "--scales", "kept",
            "--out", out,
        ])
        try #require(run.status == 0, "stderr: \(run.standardError)")
        let line = try #require(run.standardOutput.split(separator: "\n").first { $0.contains("held-out top-1") })
        let counts = line.split(separator: "(").dropFirst().compactMap { $0.split(separator: "/").first }.compactMap {
            Int($0)
        }
        try #require(counts.count == 2, "\(line)")
        #expect(counts[1] > counts[0], "\(line)")
        let eval = try TestSupport.runQuantdash(["eval", "--json", "--model", out, "--plan", plan])
        try #require(eval.status == 0, "stderr: \(eval.standardError)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(eval.standardOutput.utf8))
        #expect(summary.accuracy.correct == counts[1])
    }

    @Test func refusesAnUnknownScalesMode() throws {
        let run = try TestSupport.runQuantdash([
            "finetune", "--plan", "p.json", "--scales", "learned", "--out", "x.onnx",
        ])
        #expect(run.status != 0)
        #expect(run.standardError.contains("learned"))
    }

    @Test func neverTrainsOnTheHeldOutData() throws {
        let run = try TestSupport.runQuantdash([
            "finetune", "--plan", "p.json", "--data", "held.npz", "--train-data", "held.npz", "--out", "x.onnx",
        ])
        #expect(run.status != 0)
        #expect(run.standardError.contains("fine-tuning never trains on it"))
    }
}
