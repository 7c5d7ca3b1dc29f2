import Foundation
import QuantTestSupport
import Testing

@testable import QuantCore

/// `GraphGradients` against PyTorch's autograd on the same tensors: every case folder of
/// `Tests/Fixtures/gradient-cases` (`Scripts/make_gradient_cases.py`) holds a graph, its inputs,
/// PyTorch's forward output, a random dL/dY and PyTorch's dL/d(input or parameter).
@Suite struct GraphGradientTests {
    /// The folder of the cases.
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/gradient-cases")

    /// Every case folder's name.
    static let cases: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
        .sorted()

    /// PyTorch sums in another order: both tolerances are float32 rounding over the case's sums.
    static let (rtol, atol): (Float, Float) = (1e-4, 1e-4)

    @Test(arguments: cases)
    func caseReproducesPyTorch(_ name: String) throws {
        let case_ = Self.folder.appendingPathComponent(name)
        let data = case_.appendingPathComponent("test_data_set_0")
        let graph = try ONNXModel.load(contentsOf: case_.appendingPathComponent("model.onnx"))
        func load(_ file: String) throws -> ONNXTensorFile {
            try ONNXTensorFile.load(contentsOf: data.appendingPathComponent(file))
        }
        var inputs: [String: Tensor] = [:]
        for (index, input) in graph.inputs.enumerated() { inputs[input.name] = try load("input_\(index).pb").tensor }
        let output = try #require(graph.outputs.first).name
        let result = try GraphGradients(graph: graph).evaluate(
            inputs: inputs, outputGradients: [output: try load("grad_output_0.pb").tensor])
        let forward = try #require(result.outputs[output])
        let expectedForward = try load("output_0.pb").tensor
        #expect(forward.shape == expectedForward.shape)
        if let detail = ONNXBackendCase.firstDifference(
            forward.storage, expectedForward.storage, rtol: Self.rtol, atol: Self.atol)
        {
            Issue.record("\(name) forward: \(detail)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.hasPrefix("gradient_") }
        #expect(!files.isEmpty)
        for file in files.sorted() {
            let expected = try load(file)
            let actual = try #require(result.gradients[expected.name], "\(name): no gradient for \(expected.name)")
            #expect(actual.shape == expected.tensor.shape, "\(name) d\(expected.name)")
            if let detail = ONNXBackendCase.firstDifference(
                actual.storage, expected.tensor.storage, rtol: Self.rtol, atol: Self.atol)
            {
                Issue.record("\(name) d\(expected.name): \(detail)")
            }
        }
        #expect(result.gradients.count == files.count, "\(name): gradients for \(result.gradients.keys.sorted())")
    }

    @Test func everyOperatorFormIsCovered() {
        #expect(Self.cases.count == 41)  // what the script writes: a missing folder would shrink the check
        for prefix in [
            "gemm_", "matmul_", "conv_", "maxpool_", "averagepool_", "global_", "relu", "clip_", "leaky_relu",
            "sigmoid", "tanh", "add_", "sub_", "mul_", "div_", "flatten_", "reshape", "transpose_", "concat_",
            "batchnorm_", "layernorm_", "softmax_", "logsoftmax_", "network_",
        ] {
            #expect(Self.cases.contains { $0.hasPrefix(prefix) }, "no case starts with \(prefix)")
        }
    }

    @Test func anOperatorWithoutABackwardPassIsRefusedByName() {
        let graph = Graph(
            name: "g", inputs: [ValueInfo(name: "x", shape: [2, 3])], outputs: [ValueInfo(name: "y", shape: [2, 3])],
            initializers: [:],
            nodes: [
                Node(
                    name: "sum", op: .cumulativeSum(exclusive: false, reverse: false), inputs: ["x", "axis"],
                    outputs: ["y"])
            ])
        var withAxis = graph
        withAxis.initializers["axis"] = Tensor(scalar: 1)
        #expect {
            _ = try GraphGradients(graph: withAxis)
        } throws: { error in
            "\(error)".contains("sum") && "\(error)".contains("CumSum") && "\(error)".contains("backward")
        }
    }

    @Test func shapeArithmeticNeedsNoBackwardPass() throws {
        // Reshape's target computed from the input's own shape (as PyTorch exports `x.view(x.size(0), -1)`):
        // Gather has no backward rule, and needs none, since no gradient reaches a shape.
        let graph = Graph(
            name: "g", inputs: [ValueInfo(name: "x", shape: [2, 3, 4])],
            outputs: [ValueInfo(name: "y", shape: [2, 12])],
            initializers: ["zero": Tensor(shape: [1], storage: [0]), "minusOne": Tensor(shape: [1], storage: [-1])],
            initializerTypes: ["zero": .int64, "minusOne": .int64],
            nodes: [
                Node(name: "shape", op: .shape(start: 0, end: nil), inputs: ["x"], outputs: ["s"]),
                Node(name: "batch", op: .gather(axis: 0), inputs: ["s", "zero"], outputs: ["n"]),
                Node(name: "target", op: .concat(axis: 0), inputs: ["n", "minusOne"], outputs: ["t"]),
                Node(name: "view", op: .reshape(allowZero: false), inputs: ["x", "t"], outputs: ["y"]),
            ])
        let x = Tensor(shape: [2, 3, 4], storage: (0..<24).map(Float.init))
        let dY = Tensor(shape: [2, 12], storage: (0..<24).map { Float($0) * 0.5 })
        let result = try GraphGradients(graph: graph).evaluate(inputs: ["x": x], outputGradients: ["y": dY])
        #expect(result.gradients["x"] == Tensor(shape: [2, 3, 4], storage: dY.storage))
        #expect(result.gradients["zero"] == nil)
    }
}
