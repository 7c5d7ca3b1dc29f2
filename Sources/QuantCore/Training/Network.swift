/// A trainable sequential network: an input shape, a list of layers and their parameters.
///
/// The layers always chain: every layer accepts the shape the previous one produces (checked
/// when the network is created). Parameters are kept in one flat list, weight then bias of each
/// `dense` or `conv2d` layer in order, which is also the order they are initialized and updated in.
public struct Network: Sendable, Equatable {
    /// The shape of one sample, without the batch axis, e.g. `[1, 28, 28]`.
    public let inputShape: [Int]
    /// The layers, applied in order.
    public let layers: [NetworkLayer]
    /// Weight and bias of each parametrized layer, in layer order.
    public internal(set) var parameters: [Tensor]
    /// Per-sample activation shapes: `activationShapes[0]` is `inputShape`, `[i + 1]` the output of layer i.
    let activationShapes: [[Int]]
    /// For each layer, the index in `parameters` of its weight (`nil` for parameter-free layers).
    let parameterIndices: [Int?]

    /// Creates a network with PyTorch's default initialization drawn from `seed`.
    ///
    /// Every weight and bias of a layer with fan-in F is uniform in `±1/√F` (what
    /// `kaiming_uniform_(a=√5)` and PyTorch's bias rule reduce to), drawn layer by layer, weight
    /// before bias, from one `SplitMix64(seed:)`.
    ///
    /// - Throws: `TrainingError.incompatibleLayer` when a layer cannot take its input's shape.
    public init(inputShape: [Int], layers: [NetworkLayer], seed: UInt64) throws {
        var shapes = [inputShape]
        for (index, layer) in layers.enumerated() {
            guard let next = layer.outputShape(for: shapes[index]) else {
                throw TrainingError.incompatibleLayer(index: index, layer: layer.description, inputShape: shapes[index])
            }
            shapes.append(next)
        }
        self.init(inputShape: inputShape, layers: layers, activationShapes: shapes, seed: seed)
    }

    /// Creates a network whose layer shapes are already known to chain.
    init(inputShape: [Int], layers: [NetworkLayer], activationShapes: [[Int]], seed: UInt64) {
        self.inputShape = inputShape
        self.layers = layers
        self.activationShapes = activationShapes
        var generator = SplitMix64(seed: seed)
        var parameters: [Tensor] = []
        var indices: [Int?] = []
        for layer in layers {
            let shapes = layer.parameterShapes
            indices.append(shapes.isEmpty ? nil : parameters.count)
            let bound = 1 / Float(layer.fanIn).squareRoot()
            for shape in shapes {
                let values = (0..<Tensor.elementCount(of: shape)).map { _ in generator.nextFloat(in: -bound...bound) }
                parameters.append(Tensor(shape: shape, storage: values))
            }
        }
        self.parameters = parameters
        self.parameterIndices = indices
    }

    /// The shape of one sample's output, e.g. `[10]` for a classifier's logits.
    public var outputShape: [Int] { activationShapes.last ?? inputShape }

    /// Total number of trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Runs the network on a batch `[N] + inputShape` and returns `[N] + outputShape` (e.g. logits `[N, 10]`).
    ///
    /// - Throws: `TrainingError.inputShapeMismatch` when `input` does not fit.
    public func output(for input: Tensor) throws -> Tensor {
        guard input.rank == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape else {
            throw TrainingError.inputShapeMismatch(expected: inputShape, actual: input.shape)
        }
        return forward(input, caching: false).output
    }
}
