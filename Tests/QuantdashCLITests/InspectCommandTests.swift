import Foundation
import QuantTestSupport
import Testing

/// `quantdash inspect MODEL`: the graph as text or JSON; unsupported operators and missing files fail in one line.
@Suite struct InspectCommandTests {
    /// The parts of the JSON the tests read.
    private struct Report: Decodable {
        struct Value: Decodable {
            var name: String
            var shape: [Int?]
        }
        struct Node: Decodable {
            var index: Int
            var name: String
            var op: String
            var inputs: [String]
            var outputs: [String]
            var outputShapes: [[Int]]
            var parameterCount: Int
        }
        struct Layer: Decodable {
            var name: String
            var op: String
            var weightShape: [Int]
            var parameterCount: Int
        }
        var model: String
        var inputs: [Value]
        var outputs: [Value]
        var nodes: [Node]
        var layers: [Layer]
        var parameterCount: Int
        var floatBytes: Int
    }

    private func inspect(_ arguments: [String]) throws -> String {
        let result = try TestSupport.runQuantdash(["inspect"] + arguments)
        try #require(result.status == 0, "stderr: \(result.standardError)")
        #expect(result.standardError.isEmpty)
        return result.standardOutput
    }

    @Test func theDemoMLPAsText() throws {
        let lines = try inspect(["demo-mlp"]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let expected = [
            "demo-mlp (graph 'mnist_mlp'): 6 nodes, 3 quantizable layers, 235,146 parameters",
            "",
            "inputs and outputs (declared shapes)",
            "  input    input    [batch, 1, 28, 28]",
            "  output   logits   [batch, 10]",
            "",
            "nodes (output shapes for a batch of 1)",
            "  #   name      op        inputs → outputs                                    output shape   parameters",
            "  0   flatten   Flatten   input → flatten_output                              1×784",
            "  1   fc1       Gemm      flatten_output, fc1.weight, fc1.bias → fc1_output   1×256             200,960",
            "  2   relu1     Relu      fc1_output → relu1_output                           1×256",
            "  3   fc2       Gemm      relu1_output, fc2.weight, fc2.bias → fc2_output     1×128              32,896",
            "  4   relu2     Relu      fc2_output → relu2_output                           1×128",
            "  5   fc3       Gemm      relu2_output, fc3.weight, fc3.bias → logits         1×10                1,290",
            "",
            "quantizable layers (the names plans use)",
            "  layer   op     weight shape   parameters",
            "  fc1     Gemm   256×784           200,960",
            "  fc2     Gemm   128×256            32,896",
            "  fc3     Gemm   10×128              1,290",
            "",
            "parameters 235,146; float32 size 918.5 KiB (940,584 bytes)",
            "",
        ]
        #expect(lines == expected, "got:\n\(lines.joined(separator: "\n"))")
    }

    @Test func theDemoCNNAsText() throws {
        let text = try inspect(["demo-cnn"])
        #expect(text.contains("quantizable layers (the names plans use)"))
        for layer in ["conv1", "conv2"] {
            #expect(text.contains("  \(layer)"), "\(text)")
        }
        #expect(text.contains("1×8×28×28"), "\(text)")
        #expect(text.contains("1×16×7×7"), "\(text)")
    }

    @Test func theDemoCNNAsJSON() throws {
        let report = try JSONDecoder().decode(Report.self, from: Data(try inspect(["demo-cnn", "--json"]).utf8))
        #expect(report.model == "demo-cnn")
        #expect(report.inputs.count == 1)
        #expect(report.inputs.first?.shape.first == .some(nil))
        #expect(report.outputs.first.map { report.nodes.last?.outputs.contains($0.name) ?? false } == true)
        #expect(report.nodes.map(\.index) == Array(report.nodes.indices))
        #expect(report.nodes.last?.outputShapes == [[1, 10]])
        #expect(report.layers.count == 4)
        #expect(report.layers.first?.weightShape == [8, 1, 3, 3])
        #expect(report.nodes.reduce(0) { $0 + $1.parameterCount } == report.parameterCount)
        #expect(report.layers.reduce(0) { $0 + $1.parameterCount } == report.parameterCount)
        #expect(report.floatBytes == 4 * report.parameterCount)
    }

    @Test func aModelFileByPath() throws {
        let path = TestSupport.packageRoot.appendingPathComponent("Sources/QuantCore/Resources/Demo/demo-mlp.onnx").path
        let text = try inspect([path, "--json"])
        let report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
        #expect(report.model == path)
        #expect(report.layers.map(\.name) == ["fc1", "fc2", "fc3"])
    }

    @Test func anUnsupportedOperatorIsNamedInOneLine() throws {
        let path = TestSupport.packageRoot.appendingPathComponent(
            "Tests/Fixtures/onnx-backend-tests/unsupported/simple/test_shrink/model.onnx"
        ).path
        let result = try TestSupport.runQuantdash(["inspect", path])
        #expect(result.status != 0)
        #expect(result.standardOutput.isEmpty)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(result.standardError.contains("Shrink"))
        #expect(result.standardError.contains(path))
    }

    @Test func aMissingFileIsOneLine() throws {
        let result = try TestSupport.runQuantdash(["inspect", "/nonexistent/model.onnx"])
        #expect(result.status != 0)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(result.standardError.contains("/nonexistent/model.onnx"))
    }
}
