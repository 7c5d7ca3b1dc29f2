/// Rewrites a float graph into QDQ form: nodes are inserted before (weight dequantization) or
/// after (activation fake-quantization) existing nodes, with fresh value names.
struct QDQGraphBuilder {
    /// The graph being rewritten (nodes are reassembled by `finished()`).
    var graph: Graph
    private var before: [Int: [Node]] = [:]
    private var after: [Int: [Node]] = [:]
    private var usedNames: Set<String>
    /// How many node inputs read each value (so a weight's last reader is known in O(1), not by
    /// scanning every node for each layer: that was quadratic on long chains).
    private var readCount: [String: Int] = [:]
    /// The node producing each value (node indices do not change until `finished()`).
    private var producerOf: [String: Int] = [:]

    /// Starts from `graph`.
    init(_ graph: Graph) {
        self.graph = graph
        var names = Set(graph.inputs.map(\.name)).union(graph.initializers.keys).union(graph.outputs.map(\.name))
        for node in graph.nodes {
            names.formUnion(node.inputs)
            names.formUnion(node.outputs)
            names.insert(node.name)
            for input in node.inputs { readCount[input, default: 0] += 1 }
        }
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs where producerOf[output] == nil { producerOf[output] = index }
        }
        usedNames = names
    }

    /// Replaces `layer`'s weight input by `DequantizeLinear(codes, scale, zeroPoint)`; the float
    /// weight is dropped when nothing else reads it.
    mutating func dequantizeWeight(of layer: Layer, codes weights: QuantizedWeights, encoding: QDQWeightEncoding) {
        let base = layer.weightName
        let codesName = freshName("\(base)_quantized"), scaleName = freshName("\(base)_scale")
        let zeroPointName = freshName("\(base)_zero_point"), output = freshName("\(base)_dequantized")
        graph.initializers[codesName] = Tensor(shape: weights.shape, storage: weights.codes.map { Float($0) })
        graph.initializerTypes[codesName] = encoding.elementType
        graph.initializers[scaleName] = encoding.scaleTensor
        graph.initializers[zeroPointName] = encoding.zeroPointTensor
        graph.initializerTypes[zeroPointName] = encoding.elementType
        before[layer.nodeIndex, default: []].append(
            Node(
                name: freshName("\(layer.name)_weight_dequantize"), op: .dequantizeLinear(axis: encoding.axis),
                inputs: [codesName, scaleName, zeroPointName], outputs: [output]))
        graph.nodes[layer.nodeIndex].inputs[layer.weightInputIndex] = output
        readCount[base, default: 1] -= 1
        let stillRead = readCount[base, default: 0] > 0 || graph.outputs.contains { $0.name == base }
        if !stillRead {
            graph.initializers[base] = nil
            graph.initializerTypes[base] = nil
        }
    }

    /// Routes `value` through `QuantizeLinear` → `DequantizeLinear` (→ `Clip` for widths other
    /// than 8 and 16 bits): its producer now writes `value_float` and the last step writes `value`.
    mutating func fakeQuantize(_ value: String, with parameters: ActivationQuantization) {
        guard let producer = producerOf[value],
            let slot = graph.nodes[producer].outputs.firstIndex(of: value)
        else { return }
        let floatName = freshName("\(value)_float"), codesName = freshName("\(value)_quantized")
        let scaleName = freshName("\(value)_scale"), zeroPointName = freshName("\(value)_zero_point")
        let type = parameters.onnxElementType
        graph.nodes[producer].outputs[slot] = floatName
        graph.initializers[scaleName] = Tensor(scalar: parameters.scale)
        graph.initializers[zeroPointName] = Tensor(scalar: Float(parameters.zeroPoint))
        graph.initializerTypes[zeroPointName] = type
        let dequantized = parameters.isTypeRange ? value : freshName("\(value)_unclipped")
        var nodes = [
            Node(
                name: freshName("\(value)_quantize"), op: .quantizeLinear(axis: 1, elementType: type),
                inputs: [floatName, scaleName, zeroPointName], outputs: [codesName]),
            Node(
                name: freshName("\(value)_dequantize"), op: .dequantizeLinear(axis: 1),
                inputs: [codesName, scaleName, zeroPointName], outputs: [dequantized]),
        ]
        if !parameters.isTypeRange {
            // The b-bit code range, as values: exactly what DequantizeLinear gives at the ends.
            let range = parameters.codeRange
            let zeroPoint = Float(parameters.zeroPoint)
            let minName = freshName("\(value)_clip_min"), maxName = freshName("\(value)_clip_max")
            graph.initializers[minName] = Tensor(scalar: (Float(range.lowerBound) - zeroPoint) * parameters.scale)
            graph.initializers[maxName] = Tensor(scalar: (Float(range.upperBound) - zeroPoint) * parameters.scale)
            nodes.append(
                Node(
                    name: freshName("\(value)_clip"), op: .clip(min: nil, max: nil),
                    inputs: [dequantized, minName, maxName], outputs: [value]))
        }
        after[producer, default: []].append(contentsOf: nodes)
    }

    /// The rewritten graph, nodes in topological order.
    func finished() -> Graph {
        var result = graph
        result.nodes = graph.nodes.indices.flatMap { index in
            (before[index] ?? []) + [graph.nodes[index]] + (after[index] ?? [])
        }
        return result
    }

    /// `base`, or `base_2`, `base_3`, …: a name not used anywhere in the graph.
    private mutating func freshName(_ base: String) -> String {
        Graph.freshName(base, avoiding: &usedNames)
    }
}
