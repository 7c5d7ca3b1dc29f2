import Testing

@testable import QuantCore

@Suite struct NetworkGraphTests {
    @Test func mlpGraph() {
        let network = DemoModels.network(.mlp, seed: 1)
        let graph = network.graph(name: "mnist_mlp")
        #expect(graph.name == "mnist_mlp")
        #expect(graph.inputs == [ValueInfo(name: "input", shape: [nil, 1, 28, 28])])
        #expect(graph.inputs.first?.dimensionNames == ["batch", nil, nil, nil])
        #expect(graph.outputs == [ValueInfo(name: "logits", shape: [nil, 10])])
        let gemm = Operator.gemm(GemmAttributes(alpha: 1, beta: 1, transposeA: false, transposeB: true))
        #expect(
            graph.nodes == [
                Node(name: "flatten", op: .flatten(axis: 1), inputs: ["input"], outputs: ["flatten_output"]),
                Node(
                    name: "fc1", op: gemm, inputs: ["flatten_output", "fc1.weight", "fc1.bias"], outputs: ["fc1_output"]
                ),
                Node(name: "relu1", op: .relu, inputs: ["fc1_output"], outputs: ["relu1_output"]),
                Node(
                    name: "fc2", op: gemm, inputs: ["relu1_output", "fc2.weight", "fc2.bias"], outputs: ["fc2_output"]),
                Node(name: "relu2", op: .relu, inputs: ["fc2_output"], outputs: ["relu2_output"]),
                Node(name: "fc3", op: gemm, inputs: ["relu2_output", "fc3.weight", "fc3.bias"], outputs: ["logits"]),
            ])
        #expect(
            graph.initializers.mapValues(\.shape) == [
                "fc1.weight": [256, 784], "fc1.bias": [256],
                "fc2.weight": [128, 256], "fc2.bias": [128],
                "fc3.weight": [10, 128], "fc3.bias": [10],
            ])
        #expect(graph.initializers["fc2.weight"] == network.parameters[2])
        #expect(graph.initializerTypes.isEmpty)
    }

    @Test func cnnGraph() {
        let network = DemoModels.network(.cnn, seed: 1)
        let graph = network.graph(name: "mnist_cnn")
        #expect(
            graph.nodes.map(\.name) == [
                "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2",
            ])
        #expect(
            graph.nodes.map(\.op.onnxName) == [
                "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
            ])
        let conv = Operator.conv(ConvAttributes(kernelShape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1]))
        let pool = Operator.maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2]))
        #expect(
            graph.nodes[0]
                == Node(
                    name: "conv1", op: conv, inputs: ["input", "conv1.weight", "conv1.bias"], outputs: ["conv1_output"])
        )
        #expect(graph.nodes[2] == Node(name: "pool1", op: pool, inputs: ["relu1_output"], outputs: ["pool1_output"]))
        #expect(graph.nodes[3].op == conv && graph.nodes[5].op == pool)
        #expect(graph.nodes[6].op == .flatten(axis: 1))
        #expect(graph.nodes[7].op == .gemm(GemmAttributes(transposeB: true)))
        #expect(graph.nodes[7].inputs == ["flatten_output", "fc1.weight", "fc1.bias"])
        #expect(graph.nodes[9].outputs == ["logits"])
        // Each node reads what the previous one wrote.
        for (previous, node) in zip(graph.nodes, graph.nodes.dropFirst()) {
            #expect(node.inputs.first == previous.outputs.first)
        }
        #expect(
            graph.initializers.mapValues(\.shape) == [
                "conv1.weight": [8, 1, 3, 3], "conv1.bias": [8],
                "conv2.weight": [16, 8, 3, 3], "conv2.bias": [16],
                "fc1.weight": [64, 784], "fc1.bias": [64],
                "fc2.weight": [10, 64], "fc2.bias": [10],
            ])
        #expect(graph.outputs == [ValueInfo(name: "logits", shape: [nil, 10])])
    }

    @Test func exportedLayersAreTheQuantizableOnes() {
        let layers = DemoModels.network(.cnn, seed: 1).graph(name: "mnist_cnn").layers
        #expect(layers.map(\.name) == ["conv1", "conv2", "fc1", "fc2"])
        #expect(layers.map(\.biasName) == ["conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias"])
        #expect(layers.map(\.outputChannelAxis) == [0, 0, 0, 0])
        #expect(layers.reduce(0) { $0 + $1.parameterCount } == 52_138)
    }

    @Test func numbersRepeatedFlattenLayers() throws {
        let network = try Network(
            inputShape: [2, 2], layers: [.flatten, .flatten, .dense(inputs: 4, outputs: 3), .relu], seed: 0)
        #expect(network.nodeNames() == ["flatten1", "flatten2", "fc1", "relu1"])
        #expect(network.graph(name: "g").outputs == [ValueInfo(name: "logits", shape: [nil, 3])])
    }
}
