/// A quantizable layer: a Conv, ConvTranspose, Gemm or MatMul node whose weight is an initializer,
/// or a Gather over a constant float table (an embedding: one row per token).
///
/// Plans, reports and the dashboard refer to layers by `name`: the ONNX node name, or the
/// weight initializer's name where the node has none.
public struct Layer: Sendable, Equatable, Identifiable {
    /// The layer's name as used in plans.
    public var name: String
    /// Index of the node in `Graph.nodes`.
    public var nodeIndex: Int
    /// The ONNX operator name (`Conv`, `Gemm`, `MatMul`, `Gather`).
    public var opName: String
    /// Name of the weight initializer.
    public var weightName: String
    /// Name of the bias initializer, if any.
    public var biasName: String?
    /// Weight shape: Conv `[out, in/group, kH, kW]`, ConvTranspose `[in, out/group, kH, kW]`, Gemm `[out, in]`
    /// (transB) or `[in, out]`, MatMul `[in, out]`, Gather `[rows, width]` (rows = vocabulary).
    public var weightShape: [Int]
    /// The axis of the weight that indexes output channels (0 for Conv, transB Gemm and Gather: one
    /// scale per table row; 1 for MatMul and ConvTranspose).
    public var outputChannelAxis: Int
    /// Which input of the node reads the weight: 1 (Conv, Gemm, MatMul), 0 (Gather's table).
    public var weightInputIndex: Int
    /// Number of weights (bias excluded).
    public var weightCount: Int
    /// Number of bias values.
    public var biasCount: Int

    /// Creates a layer description (normally read off a graph with `Graph.layers`).
    public init(
        name: String, nodeIndex: Int, opName: String, weightName: String, biasName: String?, weightShape: [Int],
        outputChannelAxis: Int, weightCount: Int, biasCount: Int, weightInputIndex: Int = 1
    ) {
        self.name = name
        self.nodeIndex = nodeIndex
        self.opName = opName
        self.weightName = weightName
        self.biasName = biasName
        self.weightShape = weightShape
        self.outputChannelAxis = outputChannelAxis
        self.weightCount = weightCount
        self.biasCount = biasCount
        self.weightInputIndex = weightInputIndex
    }

    /// The layer's identity is its name.
    public var id: String { name }

    /// Weights plus biases.
    public var parameterCount: Int { weightCount + biasCount }
}

extension Graph {
    /// The quantizable layers in topological order.
    public var layers: [Layer] {
        var result: [Layer] = []
        for (index, node) in nodes.enumerated() {
            if case .gather(let axis) = node.op {
                if let layer = embeddingLayer(node, at: index, axis: axis) { result.append(layer) }
                continue
            }
            guard node.op.hasQuantizableWeight, node.inputs.count >= 2 else { continue }
            let weightName = node.inputs[1]
            guard let weight = initializers[weightName] else { continue }
            var biasName: String? = nil
            var outputAxis = 0
            switch node.op {
            case .conv:
                if node.inputs.count > 2, !node.inputs[2].isEmpty, initializers[node.inputs[2]] != nil {
                    biasName = node.inputs[2]
                }
            case .gemm(let attributes):
                outputAxis = attributes.transposeB ? 0 : 1
                if node.inputs.count > 2, !node.inputs[2].isEmpty, initializers[node.inputs[2]] != nil {
                    biasName = node.inputs[2]
                }
            case .convTranspose:
                // W is [in, out/group, k…]: output channels along axis 1.
                outputAxis = 1
                if node.inputs.count > 2, !node.inputs[2].isEmpty, initializers[node.inputs[2]] != nil {
                    biasName = node.inputs[2]
                }
            case .matMul:
                outputAxis = max(weight.rank - 1, 0)
                biasName = matMulBias(following: index)
            default:
                continue
            }
            let name = node.name.isEmpty ? weightName : node.name
            result.append(
                Layer(
                    name: name, nodeIndex: index, opName: node.op.onnxName, weightName: weightName,
                    biasName: biasName, weightShape: weight.shape, outputChannelAxis: outputAxis,
                    weightCount: weight.count, biasCount: biasName.flatMap { initializers[$0]?.count } ?? 0))
        }
        return result
    }

    /// The bias of a MatMul is the constant operand of an `Add` that consumes its output.
    private func matMulBias(following index: Int) -> String? {
        guard let output = nodes[index].outputs.first else { return nil }
        for node in nodes[(index + 1)...] where node.op == .add && node.inputs.contains(output) {
            return node.inputs.first { $0 != output && initializers[$0] != nil }
        }
        return nil
    }

    /// Total number of float parameters held in initializers.
    public var parameterCount: Int { initializers.values.reduce(0) { $0 + $1.count } }
}
