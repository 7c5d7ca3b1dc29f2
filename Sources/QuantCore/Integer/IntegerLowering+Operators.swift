/// The table of what each graph operator becomes in the integer model, read by both `lower`
/// (with the calibrated scales) and `check` (from the graph and the plan alone, before any
/// calibration or evaluation), so the two refuse the same operators with the same sentence.
extension IntegerLowering {
    /// What a node lowers to.
    enum OperatorRole: Equatable {
        /// Conv / Gemm / MatMul with requantization (needs a quantized layer).
        case linear
        /// ReLU / Clip: folded into the step before, or a clamp of the codes.
        case clamp
        /// MaxPool / AveragePool on codes (2-D window, explicit pads, floor mode).
        case pool
        /// GlobalAveragePool: the mean of each plane's codes.
        case globalAveragePool
        /// Add (or a Sum of two): requantized to its output's quantization (`ActivationSites`),
        /// or, when the plan leaves that float, the codes of one scale added exactly.
        case add
        /// Concat: inputs of other parameters requantized to the output's, then the codes copied.
        case concat(axis: Int)
        /// Dropout (inference) and Identity: the same codes under another name, no step.
        case passThrough
        /// Flatten and Reshape: the same codes under another shape.
        case reshape
        /// A Softmax whose probabilities are the graph's output: it stays float, and the integer
        /// model ends at the logits before it (the same argmax).
        case finalSoftmax
        /// A Constant node (e.g. the bounds PyTorch writes for ReLU6's Clip): read where a bound or
        /// shape is needed, no step.
        case constant
    }

    /// The operators the integer model runs, for the refusal message.
    public static let supportedOperators =
        "Conv, Gemm, MatMul, MaxPool, AveragePool, GlobalAveragePool, Add, Sum of two, Concat, Relu, Clip, Flatten, Reshape, Dropout, Identity and a final Softmax"

    /// What `node` lowers to, or why it has none (one line naming `label`).
    static func role(of node: Node, label: String) throws -> OperatorRole {
        switch node.op {
        case .conv(let attributes):
            guard attributes.autoPad == .notSet else {
                throw IntegerLoweringError("node \(label): integer Conv needs a 2-D kernel and explicit pads")
            }
            return .linear
        case .gemm(let attributes):
            guard !attributes.transposeA, attributes.alpha == 1, attributes.beta == 1 else {
                throw IntegerLoweringError("node \(label): integer Gemm needs alpha = beta = 1 and no transA")
            }
            return .linear
        case .matMul: return .linear
        case .relu, .clip: return .clamp
        case .maxPool(let attributes), .averagePool(let attributes):
            // Ceil mode's last partial window skips the taps beyond the input, as pads: right for
            // a maximum and for an average that does not count pads (ONNX divides by the taps inside).
            let average = if case .averagePool = node.op { true } else { false }
            guard attributes.autoPad == .notSet, attributes.kernelShape.count == 2,
                !attributes.ceilMode || !average || !attributes.countIncludePad
            else {
                throw IntegerLoweringError(
                    "node \(label): integer pooling needs a 2-D window, explicit pads, and floor mode for an average counting its pads"
                )
            }
            return .pool
        case .globalAveragePool: return .globalAveragePool
        case .add: return .add
        case .variadic(.sum) where node.inputs.count == 2: return .add
        case .concat(let axis): return .concat(axis: axis)
        case .dropout, .identity: return .passThrough
        case .flatten, .reshape: return .reshape
        case .softmax, .flattenedSoftmax: return .finalSoftmax
        case .constant: return .constant
        case .localResponseNormalization:
            throw IntegerLoweringError(
                "node \(label): LRN has no integer form (a power of a sum of squares; TFLite has no int8 LRN kernel either)"
            )
        default:
            throw IntegerLoweringError(
                "node \(label): \(node.op.onnxName) has no integer kernel (integer execution runs \(supportedOperators))"
            )
        }
    }

    /// The constant value `name`: an initializer or a Constant node's tensor.
    static func constantTensor(_ name: String, in graph: Graph) -> Tensor? {
        if let tensor = graph.initializers[name] { return tensor }
        for node in graph.nodes where node.outputs.first == name {
            if case .constant(let tensor) = node.op { return tensor }
        }
        return nil
    }

    /// A node's name for messages: `'name'`, or `#index` when it has none.
    static func label(of node: Node, at index: Int) -> String {
        node.name.isEmpty ? "#\(index)" : "'\(node.name)'"
    }

    /// Why `plan` on `graph` has no integer form, decided from the graph and the plan alone
    /// (no calibration, no weights quantized, no evaluation), or `nil` when `lower` may succeed.
    /// Only what depends on calibrated scales is left to `lower`: an Add of two scales whose
    /// output is float (one operand from the graph input alone), a Clip bound off the grid.
    ///
    /// - Complexity: O(nodes + layers).
    public static func check(graph: Graph, plan: QuantPlan, layers: [Layer], outputName: String? = nil) -> String? {
        guard graph.inputs.count == 1, let input = graph.inputs.first,
            let output = graph.outputs.first(where: { $0.name == outputName ?? $0.name })
        else { return "integer execution needs a model with one input (this one has \(graph.inputs.count))" }
        for layer in layers {
            if let reason = refusal(layerName: layer.name, settings: plan.settings(for: layer.name)) { return reason }
        }
        let layerAt = Dictionary(layers.map { ($0.nodeIndex, $0) }, uniquingKeysWith: { first, _ in first })
        var integerValues: Set<String> = [input.name]
        var renames: [String: String] = [:]
        var softmaxOutputs: [String: String] = [:]  // a final Softmax's output → its logits
        for (index, node) in graph.nodes.enumerated() {
            let label = label(of: node, at: index)
            guard let out = node.outputs.first else { continue }
            let role: OperatorRole
            do { role = try self.role(of: node, label: label) } catch {
                return (error as? IntegerLoweringError)?.description
            }
            for name in valuesRead(by: node, role: role) where !integerValues.contains(renames[name] ?? name) {
                return floatOperandReason(label: label, node: node, value: name, isSoftmax: softmaxOutputs[name] != nil)
            }
            switch role {
            case .linear:
                guard layerAt[index] != nil else {
                    return "node \(label) (\(node.op.onnxName)) has no constant weight to quantize"
                }
                integerValues.insert(out)
            case .passThrough: renames[out] = renames[node.inputs[0]] ?? node.inputs[0]
            case .finalSoftmax: softmaxOutputs[out] = renames[node.inputs[0]] ?? node.inputs[0]
            case .constant: break
            default: integerValues.insert(out)
            }
        }
        let last = renames[output.name] ?? output.name
        guard integerValues.contains(last) || softmaxOutputs[last] != nil else {
            return
                "the output '\(output.name)' is float in the plan (integer execution needs 8-bit activations up to the output)"
        }
        return nil
    }

    /// The activations `node` reads (Clip bounds, Reshape shapes, weights and biases are constants).
    static func valuesRead(by node: Node, role: OperatorRole) -> [String] {
        switch role {
        case .add, .concat: node.inputs.filter { !$0.isEmpty }
        default: Array(node.inputs.prefix(1))
        }
    }

    /// Why `node` cannot read `value`: a float value, or a Softmax's probabilities.
    static func floatOperandReason(label: String, node: Node, value: String, isSoftmax: Bool) -> String {
        isSoftmax
            ? "node \(label) (\(node.op.onnxName)) reads '\(value)', a Softmax's output (a Softmax stays float, so only as the last step)"
            : "node \(label) (\(node.op.onnxName)) reads '\(value)', which the plan leaves float"
    }
}
