import Foundation
import QuantTestSupport
import Testing

/// Runs the built `quantdash` binary the way a user does and checks what it prints.
@Suite struct EvalCommandTests {
    private struct Summary: Decodable {
        struct Accuracy: Decodable {
            var top1: Double
            var top5: Double
            var nll: Double
            var correct: Int
            var count: Int
            var top1Interval95: [Double]
        }
        struct Model: Decodable { var parameters: Int }
        struct Layer: Decodable {
            var name: String
            var op: String
            var weightShape: [Int]
            var parameters: Int
        }
        struct Size: Decodable {
            var floatBytes: Int
            var bytes: Int
        }
        var accuracy: Accuracy
        var model: Model
        var layers: [Layer]
        var size: Size
    }

    private func evalJSON(_ arguments: [String]) throws -> Summary {
        let result = try TestSupport.runQuantdash(["eval", "--json"] + arguments)
        #expect(result.status == 0, "stderr: \(result.standardError)")
        return try JSONDecoder().decode(Summary.self, from: Data(result.standardOutput.utf8))
    }

    @Test func demoMLPMatchesTheREADME() throws {
        let summary = try evalJSON(["--model", "demo-mlp"])
        // README: demo MLP 95.80 % held-out top-1 (958 of 1000).
        #expect(summary.accuracy.correct == 958)
        #expect(summary.accuracy.count == 1000)
        #expect(summary.accuracy.top1 == 0.958)
        #expect(summary.accuracy.top5 >= summary.accuracy.top1)
        #expect(summary.accuracy.nll > 0 && summary.accuracy.nll < 0.5)
        #expect(summary.accuracy.top1Interval95[0] < 0.958 && summary.accuracy.top1Interval95[1] > 0.958)
        #expect(summary.layers.map(\.name) == ["fc1", "fc2", "fc3"])
        #expect(summary.layers.map(\.weightShape) == [[256, 784], [128, 256], [10, 128]])
        // 784·256 + 256 + 256·128 + 128 + 128·10 + 10
        #expect(summary.model.parameters == 235_146)
        #expect(summary.size.floatBytes == 235_146 * 4)
    }

    @Test func demoCNNMatchesTheREADME() throws {
        let summary = try evalJSON(["--model", "demo-cnn"])
        // README: demo CNN 97.60 % held-out top-1 (976 of 1000).
        #expect(summary.accuracy.correct == 976)
        #expect(summary.layers.map(\.name) == ["conv1", "conv2", "fc1", "fc2"])
        #expect(summary.layers.map(\.op) == ["Conv", "Conv", "Gemm", "Gemm"])
        #expect(summary.layers[0].weightShape == [8, 1, 3, 3])
        #expect(summary.layers[0].parameters == 8 * 9 + 8)
    }

    @Test func textOutputShowsAccuracyAndLayers() throws {
        let result = try TestSupport.runQuantdash(["eval"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("held-out top-1    95.80 %"))
        #expect(result.standardOutput.contains("fc1     Gemm   256×784           200,960"))
    }

    @Test func evaluatesAModelFileAndIDXData() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let demo = TestSupport.packageRoot.appendingPathComponent("Sources/QuantCore/Resources/Demo")
        let summary = try evalJSON([
            "--model", demo.appendingPathComponent("demo-cnn.onnx").path,
            "--data", demo.appendingPathComponent("mnist-heldout-images.idx3-ubyte").path,
            "--labels", demo.appendingPathComponent("mnist-heldout-labels.idx1-ubyte").path,
        ])
        #expect(summary.accuracy.correct == 976)
    }

    @Test func missingModelFileIsOneLineNamingIt() throws {
        let result = try TestSupport.runQuantdash(["eval", "--model", "/nonexistent/model.onnx"])
        #expect(result.status != 0)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.standardError.contains("/nonexistent/model.onnx"))
        #expect(result.standardOutput.isEmpty)
    }

    @Test func garbageModelFileIsOneLineNamingIt() throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("garbage.onnx")
        try Data("this is not a protobuf model".utf8).write(to: path)
        let result = try TestSupport.runQuantdash(["eval", "--model", path.path])
        #expect(result.status != 0)
        #expect(result.standardError.split(separator: "\n").count == 1)
        #expect(result.standardError.contains(path.path))
    }

    @Test func idxImagesWithoutLabelsReportFidelityInstead() throws {
        // Labels are optional (issue 13.5): without them there is no accuracy, only fidelity.
        let images = TestSupport.packageRoot.path + "/Sources/QuantCore/Resources/Demo/mnist-heldout-images.idx3-ubyte"
        let result = try TestSupport.runQuantdash(["eval", "--data", images, "--limit", "20"])
        #expect(result.status == 0, "stderr: \(result.standardError)")
        #expect(result.standardOutput.contains("20 held-out samples without labels"))
        #expect(!result.standardOutput.contains("held-out top-1"))
        let missing = try TestSupport.runQuantdash(["eval", "--data", "images.idx3-ubyte"])
        #expect(missing.status != 0)
        #expect(missing.standardError.split(separator: "\n").count == 1)
        #expect(missing.standardError.contains("images.idx3-ubyte"))
    }

    @Test func outputPicksAModelOutputByName() throws {
        let result = try TestSupport.runQuantdash(["eval", "--output", "nope", "--limit", "5"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--output nope") && result.standardError.contains("has no such output"))
        let chosen = try TestSupport.runQuantdash(["eval", "--output", "logits", "--limit", "5"])
        #expect(chosen.status == 0, "stderr: \(chosen.standardError)")
        #expect(chosen.standardOutput.contains("held-out top-1"))
    }

    @Test func helpExplainsEveryOption() throws {
        let result = try TestSupport.runQuantdash(["eval", "--help"])
        #expect(result.status == 0)
        for option in ["--model", "--data", "--labels", "--scale", "--batch-size", "--json"] {
            #expect(result.standardOutput.contains(option), "help lacks \(option)")
        }
    }
}
