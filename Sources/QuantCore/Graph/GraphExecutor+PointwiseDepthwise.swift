/// A pointwise Conv (→ ReLU/Clip) → depthwise Conv (→ ReLU/Clip) chain, MobileNets' expansion,
/// run in one pass (`Ops.pointwiseDepthwise`): the expanded tensor between the two is never made.
///
/// Chained only where nobody can tell, as the other fusions (`GraphExecutor+Fusion.swift`): the
/// pointwise output, and the activation's after it, are each read by the next node of the chain
/// alone, are not kept (a graph output, a cached boundary, a value a caller asked for) and are not
/// fake-quantized. The pointwise node then returns the depthwise's output; the activation passes
/// it on (`activated`) and so does the depthwise node (`chained`). Bit for bit the nodes apart.
extension GraphExecutor {
    /// The depthwise output of the chain starting at pointwise Conv node `index`, with its state
    /// marked for the nodes that pass it on; `nil` where no chain applies.
    func pointwiseDepthwise(
        at index: Int, x: Tensor, weight: Tensor, bias: Tensor?, attributes: ConvAttributes,
        state: inout ExecutionState
    ) throws -> Tensor? {
        guard PointwiseDepthwiseConvolution.isEnabled, weight.rank == 4, weight.shape[2] == 1, weight.shape[3] == 1,
            attributes.group == 1, graph.nodes[index].outputs.count == 1, let value = graph.nodes[index].outputs.first,
            !value.isEmpty, !state.keeping.contains(value), !state.quantizedOutputs.contains(value)
        else { return nil }
        // The value the depthwise Conv reads: the activation's output, or the pointwise one's.
        let activation = fusableActivation(after: index, state: state)
        var expanded = value, previous = index
        if activation != nil {
            guard let reader = firstReaders[value], graph.nodes[reader].outputs.count == 1,
                !graph.nodes[reader].outputs[0].isEmpty
            else { return nil }
            expanded = graph.nodes[reader].outputs[0]
            previous = reader
        }
        guard let reader = firstReaders[expanded], lastReaders[expanded] == reader, reader > previous,
            !state.keeping.contains(expanded), !state.quantizedOutputs.contains(expanded)
        else { return nil }
        let depthwise = graph.nodes[reader]
        guard case .conv(let depthwiseAttributes) = depthwise.op, depthwise.outputs.count == 1,
            depthwise.inputs.count >= 2, depthwise.inputs[0] == expanded,
            depthwise.inputs.lazy.filter({ $0 == expanded }).count == 1,
            let depthwiseWeight = state.lookup(depthwise.inputs[1])
        else { return nil }
        var depthwiseBias: Tensor? = nil
        if depthwise.inputs.count > 2, !depthwise.inputs[2].isEmpty {
            guard let tensor = state.lookup(depthwise.inputs[2]) else { return nil }
            depthwiseBias = tensor
        }
        let depthwiseActivation = fusableActivation(after: reader, state: state)
        guard
            let output = try Ops.pointwiseDepthwise(
                x,
                .init(
                    weight: weight, bias: bias, attributes: attributes, activation: activation,
                    node: GraphExecutor.displayName(of: graph.nodes[index])),
                .init(
                    weight: depthwiseWeight, bias: depthwiseBias, attributes: depthwiseAttributes,
                    activation: depthwiseActivation, node: GraphExecutor.displayName(of: depthwise)))
        else { return nil }
        if activation != nil { state.activated.insert(value) }
        state.chained.insert(expanded)
        if depthwiseActivation != nil { state.activated.insert(depthwise.outputs[0]) }
        return output
    }
}
