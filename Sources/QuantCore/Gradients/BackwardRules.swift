/// What a backward rule sees of one node after the forward pass.
struct BackwardContext {
    /// The node.
    var node: Node
    /// Its display name, for errors.
    var name: String
    /// The values of its inputs (`nil` for an omitted optional input).
    var inputs: [Tensor?]
    /// The values of its outputs.
    var outputs: [Tensor?]
    /// The loss's gradient per output (`nil` where none reached it).
    var outputGradients: [Tensor?]
    /// Input positions whose gradient nobody wants (graph inputs, when the caller asked for
    /// initializer gradients only): a rule may return `nil` for them without computing it.
    var skippedInputs: Set<Int> = []

    /// Whether the gradient of input `position` may be skipped.
    func skipsGradient(_ position: Int) -> Bool { skippedInputs.contains(position) }

    /// Input `index`, which the operator requires.
    func input(_ index: Int) throws -> Tensor {
        guard index < inputs.count, let value = inputs[index] else {
            throw GraphError.shapeMismatch(node: name, op: node.op.onnxName, detail: "input \(index) is missing")
        }
        return value
    }

    /// Output `index`'s value.
    func output(_ index: Int) throws -> Tensor {
        guard index < outputs.count, let value = outputs[index] else {
            throw GraphError.shapeMismatch(node: name, op: node.op.onnxName, detail: "output \(index) is missing")
        }
        return value
    }

    /// The gradient of the first output (zeros shaped like it when none reached it).
    func gradient() throws -> Tensor {
        if let gradient = outputGradients.first ?? nil { return gradient }
        return Tensor.zeros(try output(0).shape)
    }
}

/// How gradients pass back through one operator.
struct BackwardRule: Sendable {
    /// The inputs that can carry a gradient (others are shapes, indices, statistics, bounds).
    var differentiableInputs: Set<Int>?
    /// Per input, its gradient (`nil` for inputs that get none).
    var gradients: @Sendable (BackwardContext) throws -> [Tensor?]

    /// Whether input `position` can carry a gradient.
    func isDifferentiable(_ position: Int) -> Bool { differentiableInputs?.contains(position) ?? true }
}

/// The one table of backward rules, per operator. Each rule is checked against PyTorch's autograd
/// on the same tensors (`Scripts/make_gradient_cases.py`, `GraphGradientTests`).
enum BackwardRules {
    /// The rule for `op`, or `nil` when quantdash has no backward pass for it.
    static func rule(for op: Operator) -> BackwardRule? {
        switch op {
        case .gemm(let attributes): BackwardRule(differentiableInputs: nil) { try Backward.gemm($0, attributes) }
        case .matMul: BackwardRule(differentiableInputs: nil) { try Backward.matMul($0) }
        case .conv(let attributes): BackwardRule(differentiableInputs: nil) { try Backward.convolution($0, attributes) }
        case .maxPool(let attributes):
            BackwardRule(differentiableInputs: [0]) { try Backward.pool(.max, $0, attributes) }
        case .averagePool(let attributes):
            BackwardRule(differentiableInputs: [0]) { try Backward.pool(.average, $0, attributes) }
        case .globalAveragePool: BackwardRule(differentiableInputs: [0]) { try Backward.globalPool(.average, $0) }
        case .globalMaxPool: BackwardRule(differentiableInputs: [0]) { try Backward.globalPool(.max, $0) }
        case .batchNormalization(let epsilon):
            BackwardRule(differentiableInputs: [0, 1, 2]) { try Backward.batchNormalization($0, epsilon: epsilon) }
        case .layerNormalization(let axis, let epsilon):
            BackwardRule(differentiableInputs: [0, 1, 2]) {
                try Backward.layerNormalization($0, axis: axis, epsilon: epsilon)
            }
        case .softmax(let axis): BackwardRule(differentiableInputs: [0]) { try Backward.softmax($0, axis: axis) }
        case .logSoftmax(let axis):
            BackwardRule(differentiableInputs: [0]) { try Backward.softmax($0, axis: axis, logarithm: true) }
        case .flattenedSoftmax(let axis):
            BackwardRule(differentiableInputs: [0]) { try Backward.softmax($0, axis: axis, flattened: true) }
        case .flattenedLogSoftmax(let axis):
            BackwardRule(differentiableInputs: [0]) {
                try Backward.softmax($0, axis: axis, logarithm: true, flattened: true)
            }
        case .relu:
            BackwardRule(differentiableInputs: [0]) { try Backward.activation($0) { x, _ in x > 0 ? 1 : 0 } }
        case .clip(let low, let high):
            BackwardRule(differentiableInputs: [0]) { try Backward.clip($0, low: low, high: high) }
        case .leakyRelu(let alpha):
            BackwardRule(differentiableInputs: [0]) { try Backward.activation($0) { x, _ in x > 0 ? 1 : alpha } }
        case .sigmoid: BackwardRule(differentiableInputs: [0]) { try Backward.activation($0) { _, y in y * (1 - y) } }
        case .tanh: BackwardRule(differentiableInputs: [0]) { try Backward.activation($0) { _, y in 1 - y * y } }
        case .add, .sub, .mul, .div: BackwardRule(differentiableInputs: [0, 1]) { try Backward.arithmetic($0) }
        case .flatten, .reshape, .squeeze, .unsqueeze, .identity, .dropout:
            BackwardRule(differentiableInputs: [0]) { try Backward.reshape($0) }
        case .transpose(let permutation):
            BackwardRule(differentiableInputs: [0]) { try Backward.transpose($0, permutation: permutation) }
        case .concat(let axis): BackwardRule(differentiableInputs: nil) { try Backward.concat($0, axis: axis) }
        case .shape, .size, .constant, .constantOfShape, .range, .argExtreme:
            BackwardRule(differentiableInputs: []) { context in context.inputs.map { _ in nil } }
        default: nil
        }
    }
}
