/// Turns a graph's nodes, one chain link at a time, into `NetworkLayer`s (see `GraphNetwork`).
struct GraphChainReader {
    let graph: Graph
    let file: String
    /// The quantizable layers by node index.
    let layersByNode: [Int: Layer]
    /// The per-sample shape flowing out of the last link read.
    private(set) var sampleShape: [Int]
    /// The network layers read so far.
    private(set) var layers: [NetworkLayer] = []
    /// For each parametrized network layer (by index in `layers`), its binding (parameter index unset).
    private(set) var parametrized: [(Int, GraphNetwork.Binding)] = []

    init(graph: Graph, file: String, sampleShape: [Int]) {
        self.graph = graph
        self.file = file
        self.sampleShape = sampleShape
        self.layersByNode = Dictionary(graph.layers.map { ($0.nodeIndex, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads the node at `index` (and, for a MatMul, the Add holding its bias); returns how many
    /// nodes it consumed and the value the chain continues from.
    mutating func read(nodeAt index: Int) throws -> (nodes: Int, output: String) {
        let node = graph.nodes[index]
        guard let output = node.outputs.first else { throw refusal(node, "it has no output") }
        switch node.op {
        case .conv(let attributes):
            try readConv(node, at: index, attributes)
        case .gemm(let attributes):
            guard attributes.alpha == 1, attributes.beta == 1, !attributes.transposeA else {
                throw refusal(node, "only alpha = beta = 1 without transA can be trained")
            }
            try readDense(node, at: index, isTransposed: !attributes.transposeB)
        case .matMul:
            try readDense(node, at: index, isTransposed: true)
            let next = index + 1
            if let bias = layersByNode[index]?.biasName, next < graph.nodes.count, graph.nodes[next].op == .add,
                graph.nodes[next].inputs.contains(output), graph.nodes[next].inputs.contains(bias),
                let sum = graph.nodes[next].outputs.first
            {
                return (2, sum)
            }
            // The bias belongs to an Add elsewhere (or there is none): train no bias.
            parametrized[parametrized.count - 1].1.layer.biasName = nil
            parametrized[parametrized.count - 1].1.biasShape = nil
        case .relu:
            append(.relu)
        case .maxPool(let attributes):
            guard attributes.kernelShape == [2, 2], attributes.strides == [2, 2],
                attributes.pads.allSatisfy({ $0 == 0 }), attributes.dilations.allSatisfy({ $0 == 1 }),
                !attributes.ceilMode, attributes.autoPad == .notSet
            else { throw refusal(node, "only 2×2 max pooling with stride 2 and no padding can be trained") }
            try appendChecked(.maxPool2d, node)
        case .flatten(let axis):
            guard axis == 1 || (axis == -sampleShape.count) else { throw refusal(node, "only Flatten at axis 1") }
            append(.flatten)
        case .reshape:
            guard isFlattening(node) else { throw refusal(node, "only a Reshape to [batch, -1] can be trained") }
            append(.flatten)
        default:
            throw refusal(node, "fine-tuning trains Conv, Gemm, MatMul+Add, Relu, MaxPool, Flatten and Reshape")
        }
        return (1, output)
    }

    private mutating func readConv(_ node: Node, at index: Int, _ attributes: ConvAttributes) throws {
        guard let layer = layersByNode[index], layer.weightShape.count == 4 else {
            throw refusal(node, "its weight is not a 4-D initializer")
        }
        let shape = layer.weightShape
        let padding = attributes.pads.first ?? 0
        guard shape[2] == shape[3], attributes.group == 1, attributes.autoPad == .notSet,
            attributes.strides.allSatisfy({ $0 == 1 }), attributes.dilations.allSatisfy({ $0 == 1 }),
            attributes.pads.allSatisfy({ $0 == padding }), attributes.kernelShape.allSatisfy({ $0 == shape[2] })
        else {
            throw refusal(node, "only square kernels, stride 1, equal pads, no dilation and one group can be trained")
        }
        if node.inputs.count > 2, !node.inputs[2].isEmpty, layer.biasName == nil {
            throw refusal(node, "its bias is not an initializer")
        }
        let conv = NetworkLayer.conv2d(
            inputChannels: shape[1], outputChannels: shape[0], kernelSize: shape[2], padding: padding)
        try appendChecked(conv, node)
        bind(layer, isTransposed: false)
    }

    private mutating func readDense(_ node: Node, at index: Int, isTransposed: Bool) throws {
        guard let layer = layersByNode[index], layer.weightShape.count == 2 else {
            throw refusal(node, "its weight is not a 2-D initializer")
        }
        if case .gemm = node.op, node.inputs.count > 2, !node.inputs[2].isEmpty, layer.biasName == nil {
            throw refusal(node, "its bias is not an initializer")
        }
        let shape = layer.weightShape
        let (inputs, outputs) = isTransposed ? (shape[0], shape[1]) : (shape[1], shape[0])
        if let bias = layer.biasName.flatMap({ graph.initializers[$0] }), bias.count != outputs {
            throw refusal(node, "its bias has \(bias.count) values for \(outputs) outputs")
        }
        try appendChecked(.dense(inputs: inputs, outputs: outputs), node)
        bind(layer, isTransposed: isTransposed)
    }

    private mutating func bind(_ layer: Layer, isTransposed: Bool) {
        let biasShape = layer.biasName.flatMap { graph.initializers[$0]?.shape }
        parametrized.append(
            (
                layers.count - 1,
                GraphNetwork.Binding(layer: layer, parameterIndex: -1, isTransposed: isTransposed, biasShape: biasShape)
            ))
    }

    private mutating func append(_ layer: NetworkLayer) {
        layers.append(layer)
        sampleShape = layer.outputShape(for: sampleShape) ?? sampleShape
    }

    private mutating func appendChecked(_ layer: NetworkLayer, _ node: Node) throws {
        guard let next = layer.outputShape(for: sampleShape) else {
            throw refusal(node, "it cannot take a per-sample input of shape \(sampleShape)")
        }
        layers.append(layer)
        sampleShape = next
    }

    /// Whether a Reshape's constant shape is `[0 or -1, -1 or n]` with n the per-sample size.
    private func isFlattening(_ node: Node) -> Bool {
        guard node.inputs.count > 1, let shape = graph.initializers[node.inputs[1]], shape.count == 2 else {
            return false
        }
        let first = shape.storage[0], second = shape.storage[1]
        let size = Float(sampleShape.reduce(1, *))
        return (first == 0 && (second == -1 || second == size)) || (first == -1 && second == size)
    }

    private func refusal(_ node: Node, _ problem: String) -> FineTuningError {
        .unsupportedNode(file: file, node: node.name, op: node.op.onnxName, problem: problem)
    }
}
