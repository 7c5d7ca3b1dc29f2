/// Activation fusion: a ReLU or Clip right after a Conv is applied by the convolution's kernel as
/// it writes each output tile (`OutputClamp`), instead of a pass of its own over the activations
/// (after a BatchNormalization, in the normalization's loop: DenseNet's pre-activations);
/// a same-shape Add whose operand nobody reads later sums into that operand's buffer, with the
/// ReLU/Clip after it in the same loop; and where that Add is the only reader of a Conv whose
/// other operand is already computed (ResNet's identity shortcuts), the convolution adds the
/// operand and applies the ReLU/Clip as it writes each tile, and the Add passes the sum on; a
/// Concat along the channels whose only reader is a BatchNormalization (DenseNet's dense layers)
/// writes its inputs already normalized (and clamped), and the BatchNormalization passes it on.
///
/// Fused only where nobody can tell: the Conv's output is read by that one node and by no other,
/// is not kept (a graph output, a cached boundary, a value a caller asked for) and is not
/// fake-quantized; Clip's bounds are constants. The activation node then passes its input on.
/// The clamp is idempotent and the same rule as `Ops.clip`, so the values are bit for bit those
/// of the unfused run.
extension GraphExecutor {
    /// The bounds of the ReLU/Clip that is the only reader of node `index`'s only output, when it
    /// can be fused into node `index`; `nil` otherwise. Nodes between the two (PyTorch exports
    /// put Clip's Constant bounds there) do not read the value, so clamping it early is unseen;
    /// a bound made by a Constant node is read from that node.
    func fusableActivation(after index: Int, state: ExecutionState) -> OutputClamp? {
        guard let value = graph.nodes[index].outputs.first, !value.isEmpty, graph.nodes[index].outputs.count == 1,
            let reader = firstReaders[value], lastReaders[value] == reader, reader > index
        else { return nil }
        let activation = graph.nodes[reader]
        guard activation.inputs.first == value, activation.inputs.lazy.filter({ $0 == value }).count == 1,
            !state.keeping.contains(value), !state.quantizedOutputs.contains(value)
        else { return nil }
        switch activation.op {
        case .relu:
            return .relu
        case .clip(let minimum, let maximum):
            func bound(_ position: Int) -> Float?? {
                guard position < activation.inputs.count, !activation.inputs[position].isEmpty else {
                    return .some(nil)
                }
                let name = activation.inputs[position]
                var tensor = state.lookup(name)
                if tensor == nil, let producer = producers[name],
                    case .constant(let constant) = graph.nodes[producer].op
                {
                    tensor = constant
                }
                guard let tensor, tensor.count == 1 else { return nil }
                return .some(tensor.storage[0])
            }
            guard let low = bound(1), let high = bound(2) else { return nil }
            return OutputClamp(low: low ?? minimum ?? -.infinity, high: high ?? maximum ?? .infinity)
        default:
            return nil
        }
    }

    /// The residual Add that can be fused into Conv node `index`: the Add (at index `add`) is the
    /// only reader of the Conv's only output, which is not kept or fake-quantized; its other
    /// operand is a different value, already computed (or a constant), of the Conv's output shape.
    /// Nothing between the two can change that operand: a node changes a value in place only as
    /// its last reader, and the Add reads it later. `nil` when any of that fails.
    func fusableResidual(
        after index: Int, x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvAttributes, state: ExecutionState
    ) throws -> (operand: Tensor, add: Int)? {
        guard let value = graph.nodes[index].outputs.first, !value.isEmpty, graph.nodes[index].outputs.count == 1,
            let reader = firstReaders[value], lastReaders[value] == reader, reader > index,
            !state.keeping.contains(value), !state.quantizedOutputs.contains(value)
        else { return nil }
        let add = graph.nodes[reader]
        guard case .add = add.op, add.inputs.count == 2, add.outputs.count == 1, add.inputs[0] != add.inputs[1],
            add.inputs.contains(value)
        else { return nil }
        let other = add.inputs[0] == value ? add.inputs[1] : add.inputs[0]
        guard !other.isEmpty, let operand = state.lookup(other) else { return nil }
        let name = GraphExecutor.displayName(of: graph.nodes[index])
        let problem = try Ops.convolutionProblem(x, weight: weight, bias: bias, attributes: attributes, node: name)
        guard operand.shape == problem.outputShape else { return nil }
        return (operand, reader)
    }

    /// Concat node `index` written already normalized by the BatchNormalization that is its only
    /// reader (and clamped by the ReLU/Clip fusable after that), when nobody else can see the
    /// plain concatenation (not kept, not fake-quantized); the BatchNormalization then passes
    /// it on (`normalized`). `nil` where it does not apply.
    func concatNormalized(
        _ inputs: [Tensor], axis: Int, at index: Int, state: inout ExecutionState
    ) throws -> Tensor? {
        guard let value = graph.nodes[index].outputs.first, !value.isEmpty, graph.nodes[index].outputs.count == 1,
            let reader = firstReaders[value], lastReaders[value] == reader, reader > index,
            !state.keeping.contains(value), !state.quantizedOutputs.contains(value)
        else { return nil }
        let normalization = graph.nodes[reader]
        guard case .batchNormalization(let epsilon) = normalization.op, normalization.inputs.count >= 5,
            normalization.inputs[0] == value, normalization.inputs.lazy.filter({ $0 == value }).count == 1,
            normalization.outputs.count == 1,
            let scale = state.lookup(normalization.inputs[1]), let bias = state.lookup(normalization.inputs[2]),
            let mean = state.lookup(normalization.inputs[3]), let variance = state.lookup(normalization.inputs[4])
        else { return nil }
        let activation = fusableActivation(after: reader, state: state)
        guard
            let output = try Ops.concatBatchNormalized(
                inputs, axis: axis, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon,
                activation: activation, concatNode: GraphExecutor.displayName(of: graph.nodes[index]),
                node: GraphExecutor.displayName(of: normalization))
        else { return nil }
        state.normalized.insert(value)
        if activation != nil { state.activated.insert(normalization.outputs[0]) }
        return output
    }

    /// The operand of Add `node` that a Conv already summed with the other one (`summed`), taken
    /// out of the run's values; `nil` when the Add was not fused.
    func takeSummedOperand(of node: Node, state: inout ExecutionState) -> Tensor? {
        guard let value = node.inputs.first(where: { state.summed.contains($0) }) else { return nil }
        state.summed.remove(value)
        return state.values.removeValue(forKey: value)
    }

    /// Node `index`, an Add of two tensors of one shape, summed into the buffer of an operand read
    /// by no later node (the first if it can be, else the second: IEEE addition commutes, so the
    /// bits are the same), with a fusable ReLU/Clip after it applied in the same loop. `nil` when
    /// neither operand can be taken or the shapes differ (the broadcasting kernel then runs).
    func addInPlace(_ node: Node, at index: Int, state: inout ExecutionState) -> Tensor? {
        guard node.inputs.count == 2, node.inputs[0] != node.inputs[1], node.outputs.count == 1,
            let shape = state.lookup(node.inputs[0])?.shape, state.lookup(node.inputs[1])?.shape == shape
        else { return nil }
        func takeable(_ name: String) -> Bool {
            lastReaders[name] == index && !state.keeping.contains(name) && state.values[name] != nil
        }
        let taken = takeable(node.inputs[0]) ? 0 : takeable(node.inputs[1]) ? 1 : nil
        // Only the taken operand's one reference may remain, or summing into it would copy it.
        guard let taken, var sum = state.values.removeValue(forKey: node.inputs[taken]),
            let other = state.lookup(node.inputs[1 - taken])
        else { return nil }
        let clamp = fusableActivation(after: index, state: state)
        Ops.addInPlace(&sum, other, clamp: clamp)
        if clamp != nil { state.activated.insert(node.outputs[0]) }
        return sum
    }
}
