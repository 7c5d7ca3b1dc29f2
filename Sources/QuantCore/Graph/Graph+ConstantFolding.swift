extension Graph {
    /// The graph with every node that depends only on constants evaluated once and replaced by
    /// initializers, so weights computed from constants (ConstantOfShape, Cast or Reshape of a
    /// constant, `Shape → Gather → Concat` chains) are plain initializers and count as layers.
    ///
    /// A node (other than QuantizeLinear and DequantizeLinear) is folded when each of its inputs is an initializer or the output of a Constant
    /// node, or when it is `Shape` of a graph input whose extents are all fixed. Constant nodes
    /// that nothing reads afterwards are removed; the others stay. Nodes producing graph outputs
    /// stay too. Folded values keep their element type (`initializerTypes`), e.g. int64 shapes.
    ///
    /// A node that fails on its constants is kept; it reports its error when the graph runs.
    public func foldingConstants() throws -> Graph {
        var graph = self
        var constantNodeValues: [String: Tensor] = [:]
        var types: [String: ElementType] = initializerTypes
        let outputNames = Set(outputs.map(\.name))
        let staticInputs = Dictionary(
            uniqueKeysWithValues: inputs.compactMap { input in
                input.shape.allSatisfy({ $0 != nil }) && !input.shape.isEmpty
                    ? (input.name, input.shape.compactMap { $0 }) : nil
            })
        var remaining: [Node] = []
        for node in nodes {
            if case .constant(let tensor) = node.op, let output = node.outputs.first {
                constantNodeValues[output] = tensor
                remaining.append(node)
                continue
            }
            // QDQ pairs on constant codes are how quantized weights are stored: kept as they are.
            if !node.op.isFoldable {
                remaining.append(node)
                continue
            }
            let isOutput = node.outputs.contains { outputNames.contains($0) }
            let known = { (name: String) in
                name.isEmpty || graph.initializers[name] != nil || constantNodeValues[name] != nil
            }
            var operands: [String: Tensor] = [:]
            var values: [Tensor]? = nil
            if case .shape(let start, let end) = node.op, let input = node.inputs.first,
                let shape = staticInputs[input]
            {
                values = [Ops.shape(of: shape, start: start, end: end)]
            } else if node.inputs.allSatisfy(known), !node.inputs.isEmpty || node.op.isSource {
                for name in node.inputs where !name.isEmpty {
                    operands[name] = graph.initializers[name] ?? constantNodeValues[name]
                }
            } else {
                remaining.append(node)
                continue
            }
            if isOutput {
                remaining.append(node)
                continue
            }
            // A node that cannot run on its constants stays, and reports its error when run.
            guard let results = values ?? (try? Graph.evaluateOnce(node, operands: operands, types: types)) else {
                remaining.append(node)
                continue
            }
            let type = node.op.resultType(node.inputs.map { types[$0] ?? .float32 })
            for (name, value) in zip(node.outputs, results) where !name.isEmpty {
                graph.initializers[name] = value
                if type != .float32 { types[name] = type } else { types[name] = nil }
            }
        }
        let read = Set(remaining.flatMap(\.inputs)).union(outputNames)
        graph.nodes = remaining.filter { node in
            guard case .constant = node.op else { return true }
            return node.outputs.contains { read.contains($0) }
        }
        // Constant nodes were removed only when unread; their typed outputs go with them.
        graph.initializerTypes = types.filter { graph.initializers[$0.key] != nil || read.contains($0.key) }
        return graph
    }

    /// Runs `node` alone on constant `operands` of element `types` (a one-node graph through the executor).
    private static func evaluateOnce(
        _ node: Node, operands: [String: Tensor], types: [String: ElementType]
    ) throws -> [Tensor] {
        let outputs = node.outputs.filter { !$0.isEmpty }
        let single = Graph(
            name: "fold", inputs: [], outputs: outputs.map { ValueInfo(name: $0, shape: []) }, initializers: operands,
            initializerTypes: types.filter { operands[$0.key] != nil }, nodes: [node])
        let results = try GraphExecutor(graph: single).run([:])
        return node.outputs.map { $0.isEmpty ? Tensor(scalar: 0) : results[$0] ?? Tensor(scalar: 0) }
    }
}

extension Operator {
    /// Whether constant folding may evaluate the operator at load: all but QuantizeLinear and
    /// DequantizeLinear, whose constant codes are a quantized model's stored weights.
    var isFoldable: Bool {
        switch self {
        case .quantizeLinear, .dequantizeLinear: false
        default: true
        }
    }

    /// Whether the operator makes a value from attributes alone (no inputs needed).
    var isSource: Bool {
        if case .constant = self { return true }
        return false
    }

    /// The element type of the (first) result for operands of types `inputs`.
    func resultType(_ inputs: [ElementType]) -> ElementType {
        let input = inputs.first ?? .float32
        switch self {
        case .where: return inputs.count > 1 ? inputs[1] : .float32
        case .shape, .size, .argExtreme: return .int64
        case .constantOfShape(_, let type): return type
        case .cast(let type): return type
        case .unary(let function): return function.resultType(input)
        case .binary(let function): return function.resultType(input)
        default: return input
        }
    }
}
