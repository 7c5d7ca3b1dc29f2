/// Where removing a layer's output filters propagates: which initializers lose the removed
/// channels (the layer's weight and bias, BatchNormalization parameters on the way) and which
/// consumer layers lose the matching input channels.
///
/// Found by walking forward from the layer's output through the operators of
/// `FilterRemoval.propagation(of:)`, the one table of what a removed channel may pass through:
///
/// | operator | a removed channel |
/// | --- | --- |
/// | Relu, LeakyRelu, Dropout, Identity, Clip with min ≤ 0 ≤ max | stays 0 (element-wise, f(0) = 0) |
/// | MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool | stays 0 (Conv channels only) |
/// | BatchNormalization | its four `[C]` parameters are sliced; evaluation sets `B[c] = mean[c] · a[c]` so it maps 0 to 0 |
/// | Flatten (axis 1) | becomes a block of `H · W` features (Conv channels) |
/// | the Add holding a MatMul layer's bias | the bias is sliced |
/// | Conv (group 1), Gemm (no transA), MatMul with a 2-D weight | consumer: its weight loses the input channels (Conv axis 1, Gemm axis 1 with transB else 0, MatMul axis 0), through Flatten the channel's block |
/// | anything else (Add, Concat, Mul, Reshape, Softmax, a graph output, …) | refused: removal cannot propagate |
///
/// In evaluation the removed filters output exactly 0 (weights and bias zeroed), which the
/// consumers then multiply by their weights: the same outputs the smaller model computes.
public struct FilterRemoval: Sendable, Equatable {
    /// One tensor losing the removed channels along an axis, `block` consecutive entries per channel.
    public struct Slice: Sendable, Equatable {
        /// The initializer's name.
        public var name: String
        /// The axis that indexes the producer's channels.
        public var axis: Int
        /// Entries per channel along `axis` (the spatial block behind a Flatten, else 1).
        public var block: Int
    }

    /// The pruned layer.
    public var layer: String
    /// Its output channels before removal.
    public var channelCount: Int
    /// The removed output channels, ascending.
    public var removed: [Int]
    /// The layer's weight and bias, and BatchNormalization parameters on the way.
    public var slices: [Slice]
    /// Consumer layers whose weight loses the matching input channels.
    public var consumers: [Consumer]
    /// BatchNormalization nodes on the way (evaluation maps their removed channels to 0).
    public var batchNorms: [BatchNormParameters]

    /// A consumer layer and the slice of its weight.
    public struct Consumer: Sendable, Equatable {
        /// The layer's name.
        public var layer: String
        /// Its weight, along the input-channel axis.
        public var slice: Slice
    }

    /// The initializer names of one BatchNormalization's parameters.
    public struct BatchNormParameters: Sendable, Equatable {
        /// `scale`, `B`, `mean`, `var`.
        var scale: String, bias: String, mean: String, variance: String
        /// Its epsilon.
        var epsilon: Float
    }

    /// The kept channels, ascending.
    public var kept: [Int] {
        let removedSet = Set(removed)
        return (0..<channelCount).filter { !removedSet.contains($0) }
    }

    /// How a channel layout flows: Conv channels `[N, C, …]`, Gemm rows `[N, C]`, MatMul's last
    /// axis `[…, C]`, or Conv channels flattened into `[N, C · block]`.
    enum Layout { case channels, rows, lastAxis, flattened }

    /// What a node does with a removed channel (the table above).
    enum Propagation: Equatable {
        /// Element-wise with f(0) = 0: the channel stays 0 in any layout.
        case elementwise
        /// Pooling over space: Conv channels only.
        case spatial
        /// BatchNormalization: sliced parameters (Conv channels or Gemm rows).
        case batchNorm(epsilon: Float)
        /// Flatten from axis 1.
        case flatten
        /// A layer that reads the channels as its input features.
        case consumer
        /// Cannot pass a removed channel on.
        case refused(String)
    }

    /// The one table: what `node` does with a removed channel on its first input.
    static func propagation(of node: Node, in graph: Graph) -> Propagation {
        switch node.op {
        case .relu, .leakyRelu, .dropout, .identity: return .elementwise
        case .clip(let low, let high):
            let bounds = [low, high].enumerated().map { index, attribute -> Float? in
                guard node.inputs.count > index + 1, !node.inputs[index + 1].isEmpty else { return attribute }
                return graph.initializers[node.inputs[index + 1]]?.storage.first
            }
            let hasDynamicBound = (1..<min(node.inputs.count, 3)).contains {
                !node.inputs[$0].isEmpty && graph.initializers[node.inputs[$0]] == nil
            }
            guard !hasDynamicBound, (bounds[0] ?? -.infinity) <= 0, (bounds[1] ?? .infinity) >= 0 else {
                return .refused("a Clip whose range does not hold 0")
            }
            return .elementwise
        case .maxPool, .averagePool, .globalAveragePool, .globalMaxPool: return .spatial
        case .batchNormalization(let epsilon): return .batchNorm(epsilon: epsilon)
        case .flatten(let axis): return axis == 1 ? .flatten : .refused("a Flatten with axis \(axis)")
        case .conv, .gemm, .matMul: return .consumer
        default: return .refused("\(node.op.onnxName) (removal passes only through \(passable))")
        }
    }

    /// The operators the table lets through, for messages.
    static let passable =
        "Relu, LeakyRelu, Clip, Dropout, Identity, pooling, BatchNormalization and Flatten "
        + "into a Conv, Gemm or MatMul"
}
