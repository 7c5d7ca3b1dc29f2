import Testing

@testable import QuantCore

/// `Graph.summary()`: measured output shapes, parameter counts (integer constants excluded), layers, float size.
@Suite struct GraphSummaryTests {
    /// `x [batch, 2, 3]` → Reshape to `[-1, 6]` (int64 shape constant) → MatMul `w [6, 4]` → Add `b [4]` → Relu.
    private func graph() -> Graph {
        Graph(
            name: "small", inputs: [ValueInfo(name: "x", shape: [nil, 2, 3])],
            outputs: [ValueInfo(name: "y", shape: [nil, 4])],
            initializers: [
                "shape": Tensor(shape: [2], storage: [-1, 6]), "w": Tensor(shape: [6, 4], repeating: 0.5),
                "b": Tensor(shape: [4], repeating: 1),
            ],
            initializerTypes: ["shape": .int64],
            nodes: [
                Node(name: "", op: .reshape(allowZero: false), inputs: ["x", "shape"], outputs: ["flat"]),
                Node(name: "mm", op: .matMul, inputs: ["flat", "w"], outputs: ["mm_out"]),
                Node(name: "bias", op: .add, inputs: ["mm_out", "b"], outputs: ["sum"]),
                Node(name: "act", op: .relu, inputs: ["sum"], outputs: ["y"]),
            ])
    }

    @Test func shapesParametersAndLayers() throws {
        let summary = try graph().summary()
        #expect(summary.name == "small")
        #expect(summary.inputs.map(\.shapeLabel) == ["[batch, 2, 3]"])
        #expect(summary.outputs.map(\.shapeLabel) == ["[batch, 4]"])
        #expect(summary.nodes.map(\.name) == ["flat", "mm", "bias", "act"])
        #expect(summary.nodes.map(\.op) == ["Reshape", "MatMul", "Add", "Relu"])
        #expect(summary.nodes.map(\.outputShapes) == [[[1, 6]], [[1, 4]], [[1, 4]], [[1, 4]]])
        #expect(summary.nodes.map(\.parameterCount) == [0, 24, 4, 0])
        #expect(summary.parameterCount == 28)
        #expect(summary.layers.map(\.name) == ["mm"])
        #expect(summary.layers.first?.weightShape == [6, 4])
        #expect(summary.layers.first?.biasName == "b")
        #expect(summary.layers.first?.parameterCount == 28)
        #expect(summary.floatBytes == 4 * 28 + 2 * 4)
    }

    @Test func theDemoCNNShapes() throws {
        let summary = try ONNXModel.load(contentsOf: BundledModel.cnn.url).summary()
        #expect(summary.nodes.first?.outputShapes == [[1, 8, 28, 28]])
        #expect(summary.nodes.last?.outputShapes == [[1, 10]])
        #expect(summary.layers.map(\.name) == ["conv1", "conv2", "fc1", "fc2"])
        #expect(summary.parameterCount == 52_138)
    }
}
