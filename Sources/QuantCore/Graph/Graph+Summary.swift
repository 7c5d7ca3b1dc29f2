/// What `quantdash inspect` shows about a model: its inputs and outputs, every node with the
/// shape it produces for a batch of 1, parameter counts, the quantizable layers and the float size.
///
/// Output shapes are measured, not inferred: the executor runs once on zeros of the declared
/// input shape with every dynamic axis set to 1, keeping every node output. So they are exactly
/// what evaluation sees, for every operator the executor supports.
public struct GraphSummary: Sendable, Equatable, Codable {
    /// A graph input or output.
    public struct Value: Sendable, Equatable, Codable {
        /// The value's name.
        public var name: String
        /// Extents as declared; `nil` for a dynamic axis.
        public var shape: [Int?]
        /// Axis names parallel to `shape` (`"batch"`), `nil` where the axis is fixed.
        public var dimensionNames: [String?]

        /// `[batch, 784]`: dynamic axes by name (or `?`), fixed ones by extent.
        public var shapeLabel: String {
            let axes = shape.indices.map { axis in
                shape[axis].map(String.init) ?? dimensionNames[axis] ?? "?"
            }
            return "[" + axes.joined(separator: ", ") + "]"
        }
    }

    /// One node of the graph.
    public struct NodeSummary: Sendable, Equatable, Codable {
        /// Position in `Graph.nodes` (topological order).
        public var index: Int
        /// The node's name (its first output's name when the file gives none).
        public var name: String
        /// The ONNX operator name.
        public var op: String
        /// Names of the values read; omitted optional inputs are left out.
        public var inputs: [String]
        /// Names of the values produced.
        public var outputs: [String]
        /// The shape of each output for a batch of 1, parallel to `outputs`.
        public var outputShapes: [[Int]]
        /// Float parameters in the initializers this node reads.
        public var parameterCount: Int
    }

    /// One quantizable layer, named as plans name it.
    public struct LayerSummary: Sendable, Equatable, Codable {
        /// The layer's name in plans.
        public var name: String
        /// The ONNX operator name.
        public var op: String
        /// The weight initializer's name.
        public var weightName: String
        /// The weight's shape (`Layer.weightShape`).
        public var weightShape: [Int]
        /// The bias initializer's name, if any.
        public var biasName: String?
        /// Weights plus biases.
        public var parameterCount: Int
    }

    /// The graph's name.
    public var name: String
    /// Values fed from outside.
    public var inputs: [Value]
    /// Values the graph produces.
    public var outputs: [Value]
    /// Every node in topological order.
    public var nodes: [NodeSummary]
    /// The quantizable layers in graph order.
    public var layers: [LayerSummary]
    /// Float parameters in all initializers (integer constants such as Reshape's shape excluded).
    public var parameterCount: Int
    /// Bytes of the float32 model as exported (`SizeModel`, no quantization).
    public var floatBytes: Int
}

extension Graph {
    /// Summarizes the graph, running it once on zeros to measure every node's output shape.
    ///
    /// - Throws: `GraphError` when the graph cannot run (unknown values, bad attributes, shapes
    ///   that do not fit).
    public func summary() throws -> GraphSummary {
        let executor = try GraphExecutor(graph: self)
        var feeds: [String: Tensor] = [:]
        for input in inputs {
            let shape = input.shape.map { $0 ?? 1 }
            try Ops.checkElementCount(shape, node: input.name, op: "Input")
            feeds[input.name] = Tensor.zeros(shape)
        }
        let produced = Set(nodes.flatMap(\.outputs).filter { !$0.isEmpty })
        let values = try executor.run(feeds, keeping: produced)
        let nodeSummaries = nodes.enumerated().map { index, node in
            let read = node.inputs.filter { !$0.isEmpty }
            return GraphSummary.NodeSummary(
                index: index, name: GraphExecutor.displayName(of: node), op: node.op.onnxName, inputs: read,
                outputs: node.outputs, outputShapes: node.outputs.map { values[$0]?.shape ?? [] },
                parameterCount: Set(read).reduce(0) { $0 + floatParameterCount(of: $1) })
        }
        let layerSummaries = layers.map { layer in
            GraphSummary.LayerSummary(
                name: layer.name, op: layer.opName, weightName: layer.weightName, weightShape: layer.weightShape,
                biasName: layer.biasName, parameterCount: layer.parameterCount)
        }
        let size = SizeModel.report(layers: layers, quantized: [:], allInitializers: initializers)
        return GraphSummary(
            name: name, inputs: inputs.map(GraphSummary.Value.init), outputs: outputs.map(GraphSummary.Value.init),
            nodes: nodeSummaries, layers: layerSummaries,
            parameterCount: initializers.keys.reduce(0) { $0 + floatParameterCount(of: $1) },
            floatBytes: size.floatBytes)
    }

    /// Elements of the float initializer `name`; 0 for other values and integer constants.
    private func floatParameterCount(of name: String) -> Int {
        guard let tensor = initializers[name], (initializerTypes[name] ?? .float32) == .float32 else { return 0 }
        return tensor.count
    }
}

extension GraphSummary.Value {
    /// The summary of a graph input or output.
    init(_ info: ValueInfo) {
        self.init(name: info.name, shape: info.shape, dimensionNames: info.dimensionNames)
    }
}
