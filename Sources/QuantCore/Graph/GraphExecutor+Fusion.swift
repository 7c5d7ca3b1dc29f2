/// Activation fusion: a ReLU or Clip right after a Conv is applied by the convolution's kernel as
/// it writes each output tile (`OutputClamp`), instead of a pass of its own over the activations.
///
/// Fused only where nobody can tell: the Conv's output is read by that one node and by no other,
/// is not kept (a graph output, a cached boundary, a value a caller asked for) and is not
/// fake-quantized; Clip's bounds are constants. The activation node then passes its input on.
/// The clamp is idempotent and the same rule as `Ops.clip`, so the values are bit for bit those
/// of the unfused run.
extension GraphExecutor {
    /// The bounds of the ReLU/Clip that node `index + 1` applies to node `index`'s only output,
    /// when it can be fused into node `index`; `nil` otherwise.
    func fusableActivation(after index: Int, state: ExecutionState) -> OutputClamp? {
        let next = index + 1
        guard next < graph.nodes.count, let value = graph.nodes[index].outputs.first, !value.isEmpty,
            graph.nodes[index].outputs.count == 1
        else { return nil }
        let activation = graph.nodes[next]
        guard activation.inputs.first == value, firstReaders[value] == next, lastReaders[value] == next,
            activation.inputs.lazy.filter({ $0 == value }).count == 1, !state.keeping.contains(value),
            !state.quantizedOutputs.contains(value)
        else { return nil }
        switch activation.op {
        case .relu:
            return .relu
        case .clip(let minimum, let maximum):
            func bound(_ position: Int) -> Float?? {
                guard position < activation.inputs.count, !activation.inputs[position].isEmpty else {
                    return .some(nil)
                }
                guard let tensor = state.lookup(activation.inputs[position]), tensor.count == 1 else { return nil }
                return .some(tensor.storage[0])
            }
            guard let low = bound(1), let high = bound(2) else { return nil }
            return OutputClamp(low: low ?? minimum ?? -.infinity, high: high ?? maximum ?? .infinity)
        default:
            return nil
        }
    }
}
