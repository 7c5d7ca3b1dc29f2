/// Static checks of a node's configuration, run once when the executor is built.
extension GraphExecutor {
    /// The allowed number of inputs (including omitted optional ones) per operator.
    static func inputArity(of op: Operator) -> ClosedRange<Int> {
        switch op {
        case .gemm, .conv: 2...3
        case .matMul, .add, .sub, .mul, .div, .reshape, .prelu, .unsqueeze, .gather: 2...2
        case .batchNormalization: 5...5
        case .clip, .dropout: 1...3
        case .squeeze: 1...2
        case .quantizeLinear, .dequantizeLinear: 2...3
        case .pad: 2...4
        case .concat: 1...Int.max
        case .constant: 0...0
        case .maxPool, .averagePool, .globalAveragePool, .globalMaxPool, .relu, .leakyRelu, .sigmoid, .tanh,
            .softmax, .logSoftmax, .flattenedSoftmax, .flattenedLogSoftmax, .softplus, .elu, .selu, .flatten,
            .transpose, .shape, .reduceMean, .identity:
            1...1
        case .reduce: 1...2
        case .unary, .localResponseNormalization, .constantOfShape, .cast, .size, .argExtreme, .hardSigmoid,
            .hardSwish, .gelu:
            1...1
        case .binary, .expand, .gatherElements, .tile, .cumulativeSum: 2...2
        case .variadic: 1...Int.max
        case .layerNormalization: 2...3
        case .where, .range: 3...3
        case .slice: 3...5
        case .split: 1...2
        case .convTranspose: 2...3
        case .resize: 1...4
        case .instanceNormalization, .groupNormalization: 3...3
        case .topK: 2...2
        case .einsum: 1...2
        }
    }

    /// Checks what can be checked before any data flows: input and output counts, required
    /// inputs present, window attributes, spatial ranks the kernels support, Transpose
    /// permutations and ReduceMean axes.
    ///
    /// - Throws: `GraphError.invalidAttribute`, `.unsupported` or `.shapeMismatch` naming `name`.
    static func checkConfiguration(of node: Node, named name: String, in graph: Graph) throws {
        let op = node.op.onnxName
        func invalid(_ detail: String) -> GraphError { .invalidAttribute(node: name, op: op, detail: detail) }

        let arity = inputArity(of: node.op)
        guard arity.contains(node.inputs.count) else {
            let expected = arity.upperBound == Int.max ? "at least \(arity.lowerBound)" : "\(arity)"
            throw invalid("has \(node.inputs.count) inputs, expects \(expected)")
        }
        var requiredCount = arity.lowerBound
        switch node.op {
        case .concat, .variadic, .einsum: requiredCount = node.inputs.count  // every input is required
        default: break
        }
        for position in 0..<requiredCount where node.inputs[position].isEmpty {
            throw invalid("input \(position) is required")
        }
        guard let first = node.outputs.first, !first.isEmpty else { throw invalid("has no output") }
        let extraOutputs = node.outputs.dropFirst().filter { !$0.isEmpty }
        switch node.op {
        case .maxPool where !extraOutputs.isEmpty:
            throw GraphError.unsupported(node: name, op: op, detail: "the Indices output")
        case .batchNormalization where !extraOutputs.isEmpty:
            throw GraphError.unsupported(
                node: name, op: op, detail: "training-mode outputs (running mean and variance)")
        case .dropout where node.outputs.count > 2:
            throw invalid("has \(node.outputs.count) outputs, expects at most 2")
        case .layerNormalization where node.outputs.count > 3:
            throw invalid("has \(node.outputs.count) outputs, expects at most 3")
        case .topK where node.outputs.count > 2:
            throw invalid("has \(node.outputs.count) outputs, expects at most 2")
        case .dropout, .maxPool, .batchNormalization, .layerNormalization, .split, .topK:
            break
        default:
            guard extraOutputs.isEmpty else { throw invalid("has \(node.outputs.count) outputs, expects 1") }
        }

        switch node.op {
        case .conv(let attributes):
            guard attributes.group >= 1 else { throw invalid("group \(attributes.group) must be ≥ 1") }
            let weight = graph.initializers[node.inputs[1]]
            let kernel =
                attributes.kernelShape.isEmpty ? weight.map { Array($0.shape.dropFirst(2)) } : attributes.kernelShape
            guard let kernel else { return }  // weight computed at run time: checked then
            if kernel.count > 2 {
                throw GraphError.unsupported(
                    node: name, op: op, detail: "\(kernel.count)-D convolution (only 1-D and 2-D)")
            }
            guard kernel.count >= 1 else {
                throw GraphError.shapeMismatch(
                    node: name, op: op, detail: "W \(weight?.shape ?? []) has no spatial axes")
            }
            try SlidingWindow.checkAttributes(
                rank: kernel.count, kernel: kernel, strides: attributes.strides, pads: attributes.pads,
                dilations: attributes.dilations, node: name, op: op)
        case .maxPool(let attributes), .averagePool(let attributes):
            let rank = attributes.kernelShape.count
            guard rank >= 1 else { throw invalid("kernel_shape is required") }
            if rank > 2 {
                throw GraphError.unsupported(node: name, op: op, detail: "\(rank)-D pooling (only 1-D and 2-D)")
            }
            try SlidingWindow.checkAttributes(
                rank: rank, kernel: attributes.kernelShape, strides: attributes.strides, pads: attributes.pads,
                dilations: attributes.dilations, node: name, op: op)
        case .transpose(let permutation) where !permutation.isEmpty:
            guard permutation.sorted() == Array(0..<permutation.count) else {
                throw invalid("perm \(permutation) is not a permutation of 0..<\(permutation.count)")
            }
        case .reduceMean(let axes, _):
            guard Set(axes).count == axes.count else { throw invalid("axes \(axes) lists an axis twice") }
        case .einsum(let equation) where equation.operands.count != node.inputs.count:
            throw invalid(
                "equation '\(equation.text)' has \(equation.operands.count) operands, the node \(node.inputs.count)")
        case .resize where node.inputs.count < 3 || node.inputs[2...].allSatisfy(\.isEmpty):
            throw invalid("needs scales (input 2) or sizes (input 3)")
        default:
            break
        }
    }
}
