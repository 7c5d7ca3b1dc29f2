import Foundation
import QuantTestSupport
import Testing

/// Hostile files through the CLI: exit status ≠ 0 and exactly one line on stderr naming the file.
/// (Every fixture's message is asserted in QuantCoreTests; these check the path to the user.)
@Suite struct HostileInputCommandTests {
    static let invalid = TestSupport.packageRoot.path + "/Tests/Fixtures/invalid/"

    /// Runs quantdash and checks the failure is one `Error: <file>: <message>` line.
    private func expectOneLineFailure(_ arguments: [String], file: String, message: String) throws {
        let result = try TestSupport.runQuantdash(arguments)
        #expect(result.status != 0, "\(arguments)")
        #expect(result.standardError == "Error: \(file): \(message)\n", "\(arguments)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test func brokenModelsFailWithOneLine() throws {
        let cycle = Self.invalid + "onnx/cycle.onnx"
        try expectOneLineFailure(
            ["inspect", cycle], file: cycle, message: "the graph has a cycle through nodes 'a', 'r'")
        let nan = Self.invalid + "onnx/nan-weight.onnx"
        try expectOneLineFailure(
            ["eval", "--model", nan, "--data", "demo"], file: nan,
            message: "initializer 'w' holds nan at index 2; weights must be finite numbers")
        let pad = Self.invalid + "onnx/run-pad-huge.onnx"
        try expectOneLineFailure(
            ["inspect", pad], file: pad,
            message:
                "Pad node 'pad': shape mismatch: shape [1, 1, 1099511627780, 4] would hold more than 1073741824 values")
        let outside = Self.invalid + "onnx/external-dotdot.onnx"
        try expectOneLineFailure(
            ["inspect", outside], file: outside,
            message:
                "tensor 'w': external data: location '../onnx/weights.bin' contains '..'; it must stay inside the model's folder"
        )
    }

    @Test func aModelThatCannotTakeTheDataSaysWhy() throws {
        let model = Self.invalid + "onnx/input-3-features.onnx"
        let data = TestSupport.packageRoot.path + "/Tests/Fixtures/data/heldout50.npz"
        try expectOneLineFailure(
            ["eval", "--model", model, "--data", data], file: data,
            message:
                "samples of shape [28, 28] do not fit model input [1, 3]: the model needs 3 values per sample, the data has 784"
        )
    }

    /// Without --data the bundled digits are used: a model they do not fit is told so, with what to pass.
    @Test func aModelTheDefaultDigitsDoNotFitAsksForData() throws {
        let model = Self.invalid + "onnx/input-3-features.onnx"
        try expectOneLineFailure(
            ["eval", "--model", model], file: model,
            message:
                "no --data given, and the bundled MNIST digits (samples of shape [1, 28, 28]) do not fit its input [1, 3]; pass --data with held-out samples for this model"
        )
    }

    @Test func brokenDataFailsWithOneLine() throws {
        let nan = Self.invalid + "data/nan.npy"
        try expectOneLineFailure(
            ["eval", "--model", "demo-mlp", "--data", nan, "--labels", Self.invalid + "idx/labels-two.idx1-ubyte"],
            file: nan, message: "value nan at index 4 (sample 1) is not a finite number")
        let lying = Self.invalid + "idx/lying-dims.idx3-ubyte"
        try expectOneLineFailure(
            ["eval", "--model", "demo-mlp", "--data", lying, "--labels", Self.invalid + "idx/labels-two.idx1-ubyte"],
            file: lying,
            message:
                "truncated data: 1000000 × 28 × 28 uint8 elements: expected 784000000 bytes of data after the 16-byte header, found 14"
        )
        let empty = Self.invalid + "data/empty.csv"
        try expectOneLineFailure(
            ["eval", "--model", "demo-mlp", "--data", empty], file: empty, message: "no data rows")
    }

    @Test func brokenPlansFailWithOneLine() throws {
        let unknown = Self.invalid + "plans/unknown-layer.json"
        let result = try TestSupport.runQuantdash(["eval", "--model", "demo-mlp", "--plan", unknown, "--limit", "5"])
        #expect(result.status != 0)
        #expect(result.standardError.hasPrefix("Error: \(unknown): "), "\(result.standardError)")
        #expect(result.standardError.contains("no_such_layer"), "\(result.standardError)")
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        let deep = Self.invalid + "plans/deep-nesting.json"
        let nested = try TestSupport.runQuantdash(["eval", "--model", "demo-mlp", "--plan", deep, "--limit", "5"])
        #expect(nested.status != 0 && nested.status < 128, "a crash is not an error message")
        #expect(nested.standardError.hasPrefix("Error: \(deep): "), "\(nested.standardError)")
    }

    @Test func batchSizeOneEqualsTheDefaultBatch() throws {
        struct Summary: Decodable, Equatable {
            struct Accuracy: Decodable, Equatable {
                var correct: Int
                var count: Int
                var top1: Double
                var top5: Double
                var nll: Double
            }
            var accuracy: Accuracy
        }
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = folder.appendingPathComponent("plan.json")
        try Data(#"{ "version": 1, "default": { "bits": 4, "scheme": "asymmetric" } }"#.utf8).write(to: plan)
        let arguments = ["eval", "--json", "--model", "demo-cnn", "--limit", "64", "--plan", plan.path]
        let batched = try TestSupport.runQuantdash(arguments)
        let single = try TestSupport.runQuantdash(arguments + ["--batch-size", "1"])
        #expect(batched.status == 0 && single.status == 0, "\(batched.standardError)\(single.standardError)")
        let a = try JSONDecoder().decode(Summary.self, from: Data(batched.standardOutput.utf8))
        let b = try JSONDecoder().decode(Summary.self, from: Data(single.standardOutput.utf8))
        #expect(a.accuracy.correct == b.accuracy.correct && a.accuracy.count == 64 && b.accuracy.count == 64)
        #expect(a.accuracy.top1 == b.accuracy.top1 && a.accuracy.top5 == b.accuracy.top5)
        #expect(abs(a.accuracy.nll - b.accuracy.nll) <= 1e-6)
    }
}
