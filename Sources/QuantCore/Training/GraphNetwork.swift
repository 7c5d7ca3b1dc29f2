/// A trainable `Network` read off an inference graph, and where each of its parameters lives in
/// that graph (the inverse of `Network.graph(name:)`, for the graphs a `Network` can express).
///
/// The graph must be one chain from its first input to its first output of: Conv (2-D, square
/// kernel, stride 1, equal pads, no dilation, one group), Gemm (`alpha = beta = 1`, no `transA`),
/// MatMul with an initializer weight (its bias the constant operand of an Add right after it),
/// Relu, MaxPool (2×2, stride 2, no pads), Flatten (axis 1) and a Reshape that flattens. Weights
/// and biases must be initializers; a layer without a bias trains none (its bias stays absent).
struct GraphNetwork: Sendable {
    /// One parametrized layer: the graph's `Layer` (plan name, initializer names, channel axis)
    /// and how its weight maps onto the network's parameters.
    struct Binding: Sendable {
        /// The graph's layer (its name is what plans use).
        var layer: Layer
        /// Index of the weight in `Network.parameters` (the bias follows it).
        var parameterIndex: Int
        /// Whether the graph stores the weight `[in, out]` (Gemm without `transB`, MatMul) where
        /// the network keeps `[out, in]`.
        var isTransposed: Bool
        /// The graph's bias shape, or nil when the layer has none (the network's bias stays 0).
        var biasShape: [Int]?
    }

    /// The network, its parameters the graph's weights.
    var network: Network
    /// The parametrized layers in network order.
    var bindings: [Binding]

    /// Reads `graph` (loaded from `file`, named in errors).
    ///
    /// - Throws: `FineTuningError.unsupportedNode` at the first node outside the chain above,
    ///   `.unsupportedGraph` for inputs or outputs that do not fit.
    init(graph: Graph, file: String) throws {
        guard let input = graph.inputs.first(where: { graph.initializers[$0.name] == nil }),
            let output = graph.outputs.first
        else { throw FineTuningError.unsupportedGraph(file: file, problem: "it has no input or no output") }
        let sampleShape = input.shape.dropFirst().compactMap { $0 }
        guard input.shape.count >= 2, sampleShape.count == input.shape.count - 1 else {
            throw FineTuningError.unsupportedGraph(
                file: file, problem: "input '\(input.name)' needs fixed extents after the batch axis")
        }
        var reader = GraphChainReader(graph: graph, file: file, sampleShape: Array(sampleShape))
        var current = input.name
        var index = 0
        while index < graph.nodes.count {
            let node = graph.nodes[index]
            guard node.inputs.first == current else {
                throw FineTuningError.unsupportedNode(
                    file: file, node: node.name, op: node.op.onnxName, problem: "it does not continue the chain")
            }
            let consumed = try reader.read(nodeAt: index)
            index += consumed.nodes
            current = consumed.output
        }
        guard current == output.name else {
            throw FineTuningError.unsupportedGraph(
                file: file, problem: "output '\(output.name)' is not the end of the chain from '\(input.name)'")
        }
        var network: Network
        do {
            network = try Network(inputShape: Array(sampleShape), layers: reader.layers, seed: 0)
        } catch let error as TrainingError {
            throw FineTuningError.unsupportedGraph(file: file, problem: error.description)
        }
        var bindings: [Binding] = []
        for (layerIndex, pending) in reader.parametrized {
            guard let parameterIndex = network.parameterIndices[layerIndex] else { continue }
            var binding = pending
            binding.parameterIndex = parameterIndex
            let weight = graph.initializers[binding.layer.weightName] ?? Tensor.zeros([0])
            network.parameters[parameterIndex] =
                binding.isTransposed
                ? GraphNetwork.transposed(weight) : weight.reshaped(network.parameters[parameterIndex].shape)
            let biasCount = network.parameters[parameterIndex + 1].count
            network.parameters[parameterIndex + 1] =
                binding.layer.biasName.flatMap { graph.initializers[$0]?.reshaped([biasCount]) }
                ?? Tensor.zeros([biasCount])
            bindings.append(binding)
        }
        self.network = network
        self.bindings = bindings
    }

    /// The network's parameters with each bound layer's weight and bias taken from `values`
    /// (graph layout, by initializer name); a layer without a bias gets zeros.
    func parameters(from values: [String: Tensor]) -> [Tensor] {
        var parameters = network.parameters
        for binding in bindings {
            let index = binding.parameterIndex
            if let weight = values[binding.layer.weightName] {
                parameters[index] =
                    binding.isTransposed ? GraphNetwork.transposed(weight) : weight.reshaped(parameters[index].shape)
            }
            if let biasName = binding.layer.biasName, let bias = values[biasName] {
                parameters[index + 1] = bias.reshaped([parameters[index + 1].count])
            }
        }
        return parameters
    }

    /// Network-layout gradients (parallel to `network.parameters`) in the graph's layout, by
    /// initializer name; the gradient of an absent bias is dropped.
    func graphGradients(_ gradients: [Tensor]) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for binding in bindings {
            let weight = gradients[binding.parameterIndex]
            result[binding.layer.weightName] =
                binding.isTransposed ? GraphNetwork.transposed(weight) : weight.reshaped(binding.layer.weightShape)
            if let biasName = binding.layer.biasName, let shape = binding.biasShape {
                result[biasName] = gradients[binding.parameterIndex + 1].reshaped(shape)
            }
        }
        return result
    }

    /// A 2-D tensor's transpose.
    static func transposed(_ matrix: Tensor) -> Tensor {
        guard matrix.rank == 2 else { return matrix }
        let rows = matrix.shape[0], columns = matrix.shape[1]
        var storage = [Float](repeating: 0, count: matrix.count)
        for row in 0..<rows {
            for column in 0..<columns { storage[column * rows + row] = matrix.storage[row * columns + column] }
        }
        return Tensor(shape: [columns, rows], storage: storage)
    }
}
