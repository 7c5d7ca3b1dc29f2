/// Infers the rank (number of axes) of graph values where the operators make it plain.
///
/// Only what old-opset checks need (`ONNXLegacyCheck`): ranks start from graph inputs,
/// initializers and Constant nodes and flow through the supported operators. A value whose
/// rank cannot be told without shapes (e.g. Reshape to a computed shape) is left out.
enum ONNXRankInference {
    /// Rank per value name for a topologically sorted `graph`.
    static func ranks(in graph: Graph) -> [String: Int] {
        var ranks: [String: Int] = [:]
        for input in graph.inputs { ranks[input.name] = input.shape.count }
        for (name, tensor) in graph.initializers { ranks[name] = tensor.rank }
        for node in graph.nodes {
            let operands = node.inputs.map { $0.isEmpty ? nil : ranks[$0] }
            let first = operands.first ?? nil
            let rank: Int?
            switch node.op {
            case .gemm, .flatten: rank = 2
            case .constant(let tensor): rank = tensor.rank
            case .matMul:
                if operands.count == 2, let a = operands[0], let b = operands[1] {
                    // A rank-1 operand gains an axis that is removed again afterwards.
                    rank = max(a, b) - (a == 1 ? 1 : 0) - (b == 1 ? 1 : 0) + (a == 1 && b == 1 ? 1 : 0)
                } else {
                    rank = nil
                }
            case .add, .sub, .mul, .div:
                rank = operands.contains { $0 == nil } ? nil : operands.compactMap { $0 }.max()
            case .reshape:
                rank = node.inputs.count > 1 ? graph.initializers[node.inputs[1]]?.count : nil
            case .concat:
                rank = operands.lazy.compactMap { $0 }.first
            case .shape:
                rank = 1
            case .gather:
                // Data axis `axis` is replaced by the indices' axes.
                rank = operands.count == 2 ? operands[0].flatMap { data in operands[1].map { data + $0 - 1 } } : nil
            case .reduceMean(let axes, let keepDims):
                rank = keepDims ? first : (axes.isEmpty ? 0 : first.map { $0 - axes.count })
            case .squeeze, .unsqueeze:
                // Known when the axes are a constant; Squeeze without axes depends on extents.
                let axes = node.inputs.count > 1 ? graph.initializers[node.inputs[1]]?.count : nil
                if case .squeeze = node.op {
                    rank = axes.flatMap { count in first.map { $0 - count } }
                } else {
                    rank = axes.flatMap { count in first.map { $0 + count } }
                }
            case .conv, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool, .batchNormalization,
                .relu, .clip, .leakyRelu, .sigmoid, .tanh, .softmax, .logSoftmax, .flattenedSoftmax,
                .flattenedLogSoftmax, .prelu, .softplus, .elu, .selu, .transpose, .pad, .identity,
                .dropout, .quantizeLinear, .dequantizeLinear, .unary, .localResponseNormalization,
                .layerNormalization, .cast, .gatherElements, .tile, .hardSigmoid, .hardSwish, .gelu, .cumulativeSum,
                .slice, .split, .convTranspose, .resize, .instanceNormalization, .groupNormalization, .topK:
                rank = first
            case .einsum(let equation):
                rank = equation.output.contains(EinsumEquation.ellipsis) ? nil : equation.output.count
            case .binary, .variadic, .where:
                rank = operands.contains { $0 == nil } ? nil : operands.compactMap { $0 }.max()
            case .reduce(_, let axes, let keepDims):
                rank = keepDims ? first : (axes.isEmpty ? 0 : first.map { $0 - axes.count })
            case .argExtreme(_, _, let keepDims, _):
                rank = keepDims ? first : first.map { $0 - 1 }
            case .size: rank = 0
            case .range: rank = 1
            case .constantOfShape:
                rank = node.inputs.first.flatMap { graph.initializers[$0]?.count }
            case .expand:
                let shapeRank = node.inputs.count > 1 ? graph.initializers[node.inputs[1]]?.count : nil
                rank = shapeRank.flatMap { count in first.map { max($0, count) } }
            }
            if let rank, let output = node.outputs.first, !output.isEmpty { ranks[output] = rank }
        }
        return ranks
    }
}
