extension Network {
    /// The network as an ONNX-compatible inference graph (what `torch.onnx.export` writes for it).
    ///
    /// The graph reads `"input"` `[batch] + inputShape` and writes `"logits"` `[batch] + outputShape`.
    /// Nodes are named by kind and numbered from 1 in order: `convN` (Conv, `kernel_shape [k, k]`,
    /// `strides [1, 1]`, `pads [p, p, p, p]`), `fcN` (Gemm, `transB = 1`), `reluN` (Relu), `poolN`
    /// (MaxPool, `kernel_shape [2, 2]`, `strides [2, 2]`) and `flatten` (Flatten, axis 1; numbered
    /// only when there are several). A layer's parameters are the initializers `<node>.weight`
    /// and `<node>.bias`; each node's output is `<node>_output`, the last one's `"logits"`.
    public func graph(name: String) -> Graph {
        let names = nodeNames()
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        var current = "input"
        for (index, layer) in layers.enumerated() {
            let nodeName = names[index]
            let output = index == layers.count - 1 ? "logits" : "\(nodeName)_output"
            var inputs = [current]
            if let weightIndex = parameterIndices[index] {
                initializers["\(nodeName).weight"] = parameters[weightIndex]
                initializers["\(nodeName).bias"] = parameters[weightIndex + 1]
                inputs += ["\(nodeName).weight", "\(nodeName).bias"]
            }
            nodes.append(Node(name: nodeName, op: Network.onnxOperator(for: layer), inputs: inputs, outputs: [output]))
            current = output
        }
        return Graph(
            name: name,
            inputs: [ValueInfo(name: "input", shape: [nil] + inputShape.map { Optional($0) })],
            outputs: [ValueInfo(name: current, shape: [nil] + outputShape.map { Optional($0) })],
            initializers: initializers, nodes: nodes)
    }

    /// The exported node name of each layer, e.g. `["flatten", "fc1", "relu1", "fc2"]`.
    func nodeNames() -> [String] {
        let flattenCount = layers.filter { $0 == .flatten }.count
        var counters: [String: Int] = [:]
        return layers.map { layer in
            let stem: String
            switch layer {
            case .dense: stem = "fc"
            case .conv2d: stem = "conv"
            case .relu: stem = "relu"
            case .maxPool2d: stem = "pool"
            case .flatten: stem = "flatten"
            }
            let number = (counters[stem] ?? 0) + 1
            counters[stem] = number
            return stem == "flatten" && flattenCount == 1 ? stem : "\(stem)\(number)"
        }
    }

    /// The ONNX operator computing `layer` at inference time.
    static func onnxOperator(for layer: NetworkLayer) -> Operator {
        switch layer {
        case .dense:
            .gemm(GemmAttributes(transposeB: true))
        case .conv2d(_, _, let kernelSize, let padding):
            .conv(
                ConvAttributes(
                    kernelShape: [kernelSize, kernelSize], strides: [1, 1], pads: [padding, padding, padding, padding]))
        case .relu:
            .relu
        case .maxPool2d:
            .maxPool(PoolAttributes(kernelShape: [2, 2], strides: [2, 2]))
        case .flatten:
            .flatten(axis: 1)
        }
    }
}
