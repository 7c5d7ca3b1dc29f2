/// An old-opset node whose meaning in the engine's (opset-13) terms depends on operand ranks.
///
/// Resolved after the graph is sorted, when ranks are known (`ONNXRankInference`): the node is
/// rewritten to the simpler equivalent, or checked, or the model is rejected rather than run
/// with different semantics.
enum ONNXLegacyCheck: Equatable {
    /// Softmax/LogSoftmax before opset 13 (read as `flattenedSoftmax`/`flattenedLogSoftmax`)
    /// normalize over all axes from `axis` on; when `axis` is the last axis that is the
    /// single-axis operator, which replaces it (and is written back without a rewrite).
    case flattenedSoftmax(output: String, input: String, axis: Int)
    /// Element-wise ops before opset 7 with `broadcast = 1` and `axis` align B with A starting
    /// at `axis`; that equals NumPy broadcasting only when `axis == rank(A) − rank(B)`.
    case trailingBroadcast(node: String, op: String, a: String, b: String, axis: Int)
    /// PRelu before opset 7 has one slope per channel (axis 1) when the slope is 1-D; from
    /// opset 7 it broadcasts from the trailing axes. A 1-D slope initializer of C > 1 values
    /// is reshaped to `[C, 1, …]` so it lines up with axis 1 of X.
    case channelSlope(node: String, x: String, slope: String)

    /// Rewrites or checks the node in `graph` for the given ranks.
    ///
    /// - Throws: `ModelIOError.invalidGraph(path, .unsupported(...))` saying what to do.
    func resolve(in graph: inout Graph, ranks: [String: Int], path: String) throws {
        switch self {
        case .flattenedSoftmax(let output, let input, let axis):
            let isLastAxis = axis == -1 || ranks[input].map { (axis < 0 ? axis + $0 : axis) == $0 - 1 } == true
            guard isLastAxis, let index = graph.nodes.firstIndex(where: { $0.outputs.first == output }) else { return }
            switch graph.nodes[index].op {
            case .flattenedSoftmax: graph.nodes[index].op = .softmax(axis: axis)
            case .flattenedLogSoftmax: graph.nodes[index].op = .logSoftmax(axis: axis)
            default: break
            }
        case .trailingBroadcast(let node, let op, let a, let b, let axis):
            guard let rankA = ranks[a], let rankB = ranks[b], (axis < 0 ? axis + rankA : axis) == rankA - rankB else {
                throw unsupported(
                    path, node, op,
                    "legacy broadcast at axis \(axis) that is not trailing; re-export with opset 7 or later")
            }
        case .channelSlope(let node, let x, let slope):
            // One slope for all channels means the same in every opset.
            if let tensor = graph.initializers[slope], tensor.count == 1 { return }
            guard let tensor = graph.initializers[slope], tensor.rank == 1, let rank = ranks[x],
                graph.nodes.filter({ $0.inputs.contains(slope) }).count == 1
            else {
                throw unsupported(
                    path, node, "PRelu",
                    "a per-channel slope before opset 7 that is not a 1-D initializer of this node only; "
                        + "re-export with opset 7 or later")
            }
            if rank >= 3 {
                graph.initializers[slope] = tensor.reshaped([tensor.count] + Array(repeating: 1, count: rank - 2))
            }
        }
    }

    private func unsupported(_ path: String, _ node: String, _ op: String, _ detail: String) -> ModelIOError {
        .invalidGraph(path: path, .unsupported(node: node, op: op, detail: detail))
    }
}
