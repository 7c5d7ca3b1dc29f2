/// Where each weight of a layer sits for cross-layer equalization: which output channel it
/// feeds and which input feature it reads.
///
/// | operator | weight | output channel of element | input feature of element |
/// | --- | --- | --- | --- |
/// | Conv | `[M, C/g, k…]` | `o` (axis 0) | `group(o)·C/g + c` |
/// | Gemm, transB | `[N, K]` | row | column |
/// | Gemm | `[K, N]` | column | row |
/// | MatMul (2-D weight) | `[K, N]` | column | row |
struct EqualizationLayout: Sendable, Equatable {
    /// Output channels of the layer.
    var outputCount: Int
    /// Input features (channels for a Conv) of the layer.
    var inputCount: Int
    private var kind: Kind

    private enum Kind: Equatable {
        /// Weight `[M, C/g, taps]`.
        case conv(group: Int, taps: Int)
        /// Weight `[outputs, inputs]`.
        case rowsAreOutputs
        /// Weight `[inputs, outputs]`.
        case rowsAreInputs
    }

    /// The layout of `layer`, or nil for layers equalization does not handle (ConvTranspose,
    /// Gather, MatMul with a weight that is not 2-D).
    init?(_ layer: Layer, in graph: Graph) {
        guard layer.weightInputIndex == 1, layer.nodeIndex < graph.nodes.count else { return nil }
        let shape = layer.weightShape
        switch graph.nodes[layer.nodeIndex].op {
        case .conv(let attributes):
            guard shape.count >= 3, shape[0] > 0, attributes.group >= 1, shape[0] % attributes.group == 0 else {
                return nil
            }
            outputCount = shape[0]
            inputCount = shape[1] * attributes.group
            kind = .conv(group: attributes.group, taps: shape.dropFirst(2).reduce(1, *))
        case .gemm(let attributes) where shape.count == 2:
            kind = attributes.transposeB ? .rowsAreOutputs : .rowsAreInputs
            outputCount = attributes.transposeB ? shape[0] : shape[1]
            inputCount = attributes.transposeB ? shape[1] : shape[0]
        case .matMul where shape.count == 2:
            kind = .rowsAreInputs
            outputCount = shape[1]
            inputCount = shape[0]
        default:
            return nil
        }
    }

    /// The output channel weight `index` (row-major) feeds.
    func outputChannel(of index: Int) -> Int {
        switch kind {
        case .conv(_, let taps): index / max(inputCount / groupCount * taps, 1)
        case .rowsAreOutputs: index / max(inputCount, 1)
        case .rowsAreInputs: index % max(outputCount, 1)
        }
    }

    /// The input feature weight `index` (row-major) reads.
    func inputFeature(of index: Int) -> Int {
        switch kind {
        case .conv(let group, let taps):
            let perGroup = inputCount / group
            let output = index / max(perGroup * taps, 1)
            return (output / max(outputCount / group, 1)) * perGroup + (index % (perGroup * taps)) / max(taps, 1)
        case .rowsAreOutputs: return index % max(inputCount, 1)
        case .rowsAreInputs: return index / max(outputCount, 1)
        }
    }

    private var groupCount: Int {
        if case .conv(let group, _) = kind { return group }
        return 1
    }
}
