import Foundation

/// What a classifier's first output holds, as far as the graph shows it.
public enum ClassifierOutputKind: String, Sendable, Equatable {
    /// Unnormalized scores (the usual export).
    case logits
    /// Probabilities: the output comes from a Softmax (ONNX model-zoo classifiers end so).
    case probabilities
    /// Log-probabilities: the output comes from a LogSoftmax.
    case logProbabilities
}

extension Graph {
    /// The same graph with output `name` moved first, so evaluation, the dashboard and exports
    /// use it (`--output NAME`); `nil` when the graph has no such output.
    public func choosingOutput(_ name: String) -> Graph? {
        guard let index = outputs.firstIndex(where: { $0.name == name }) else { return nil }
        var graph = self
        let chosen = graph.outputs.remove(at: index)
        graph.outputs.insert(chosen, at: 0)
        return graph
    }

    /// Whether the first output is logits, probabilities or log-probabilities: the operator that
    /// produces it, looking through Identity, Dropout, Reshape, Flatten and Squeeze.
    public var classifierOutputKind: ClassifierOutputKind {
        switch outputProducer {
        case .softmax, .flattenedSoftmax: .probabilities
        case .logSoftmax, .flattenedLogSoftmax: .logProbabilities
        default: .logits
        }
    }

    /// Whether the first output reads as classes even without labels: a Softmax or LogSoftmax,
    /// a Gemm (a linear classifier head, as PyTorch exports `Linear` on `[N, features]`), or a
    /// Conv whose output is `[N, C, 1, 1]` (a 1×1 convolution on pooled features, as the model
    /// zoo's DenseNet-121 ends) produces it, and it has at least 2 values per sample. Otherwise
    /// (a mean-pooled or normalised embedding, a LayerNormalization, a Tanh pooler, a feature
    /// map…) it is read as a vector.
    public var outputLooksLikeClasses: Bool {
        guard (classCount ?? 2) >= 2 else { return false }
        switch outputProducer {
        case .softmax, .flattenedSoftmax, .logSoftmax, .flattenedLogSoftmax, .gemm: return true
        case .conv:
            guard let shape = outputs.first?.shape, shape.count > 2 else { return false }
            return shape.dropFirst(2).allSatisfy { $0 == 1 }
        default: return false
        }
    }

    /// The operator producing the first output, looking through Identity, Dropout, Reshape,
    /// Flatten and Squeeze; `nil` for a graph input or initializer.
    private var outputProducer: Operator? {
        guard var value = outputs.first?.name else { return nil }
        while let node = nodes.last(where: { $0.outputs.first == value }) {
            switch node.op {
            case .identity, .dropout, .reshape, .flatten, .squeeze:
                guard let input = node.inputs.first else { return node.op }
                value = input
            default: return node.op
            }
        }
        return nil
    }

    /// The number of classes of the first output: its last extent once trailing extents of 1
    /// are dropped (`[N, 1000, 1, 1]` has 1000); `nil` when not fixed.
    public var classCount: Int? {
        guard let shape = outputs.first?.shape else { return nil }
        var trimmed = shape
        while trimmed.count > 2, trimmed.last == 1 { trimmed.removeLast() }
        guard let last = trimmed.last, let extent = last, extent >= 1 else { return nil }
        return extent
    }

    /// The first output read as classifier logits `[N, classes]`: trailing extents of 1 removed,
    /// and probabilities turned into their logarithms (whose softmax is the probabilities again,
    /// so the ranking is unchanged and the NLL is `−log p[label]`, not a softmax of a softmax).
    public func classifierLogits(_ output: Tensor) -> Tensor {
        var shape = output.shape
        while shape.count > 2, shape.last == 1 { shape.removeLast() }
        var logits = shape == output.shape ? output : output.reshaped(shape)
        if classifierOutputKind == .probabilities {
            for index in logits.storage.indices {
                logits.storage[index] = Foundation.log(max(logits.storage[index], 0))
            }
        }
        return logits
    }
}
