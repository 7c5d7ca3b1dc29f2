/// A condition under which an old-opset node means the same as the engine's opset-13 operator.
///
/// Checked after the graph is sorted, when operand ranks are known (`ONNXRankInference`).
/// When the condition fails, or the ranks cannot be told, the model is rejected rather than
/// run with different semantics.
enum ONNXLegacyCheck: Equatable {
    /// Softmax/LogSoftmax before opset 13 flatten the input to 2-D at `axis` and normalize each
    /// row; that equals the opset-13 single-axis operator only when `axis` is the last axis.
    case lastAxis(node: String, op: String, input: String, axis: Int)
    /// Element-wise ops before opset 7 with `broadcast = 1` and `axis` align B with A starting
    /// at `axis`; that equals NumPy broadcasting only when `axis == rank(A) − rank(B)`.
    case trailingBroadcast(node: String, op: String, a: String, b: String, axis: Int)

    /// Throws unless the condition holds for the given ranks.
    ///
    /// - Throws: `ModelIOError.invalidGraph(path, .unsupported(...))` saying what to do.
    func verify(ranks: [String: Int], path: String) throws {
        switch self {
        case .lastAxis(let node, let op, let input, let axis):
            if axis == -1 { return }
            guard let rank = ranks[input] else {
                throw unsupported(path, node, op, "axis \(axis) before opset 13 on an input of unknown rank; re-export with opset 13")
            }
            guard (axis < 0 ? axis + rank : axis) == rank - 1 else {
                throw unsupported(
                    path, node, op,
                    "axis \(axis) of a rank-\(rank) input before opset 13 (normalizes over all axes from \(axis) on); "
                        + "re-export with opset 13")
            }
        case .trailingBroadcast(let node, let op, let a, let b, let axis):
            guard let rankA = ranks[a], let rankB = ranks[b], (axis < 0 ? axis + rankA : axis) == rankA - rankB else {
                throw unsupported(path, node, op, "legacy broadcast at axis \(axis) that is not trailing; re-export with opset 7 or later")
            }
        }
    }

    private func unsupported(_ path: String, _ node: String, _ op: String, _ detail: String) -> ModelIOError {
        .invalidGraph(path: path, .unsupported(node: node, op: op, detail: detail))
    }
}
