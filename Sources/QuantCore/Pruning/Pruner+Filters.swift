/// Structured (filter) pruning: the `k = round(s · C_out)` output channels whose weights have
/// the smallest L1 norm are removed whole, as `torch.nn.utils.prune.ln_structured(module,
/// "weight", amount=s, n=1, dim=0)` chooses them for a Conv `[out, in, kH, kW]` or a Linear
/// `[out, in]`.
///
/// A channel's row is `Pruner.ChannelRows`' row: every weight with that index on the output
/// axis (axis 0 for Conv and transB Gemm, axis 1 for MatMul `[in, out]` and Gemm without transB).
/// `round` is PyTorch's (halves to even, `prunedCount(forSparsity:of:)`). Equal norms are pruned
/// lower channel index first; PyTorch picks among ties at the boundary by its `topk`, so the two
/// agree whenever the `k`-th and `(k+1)`-th smallest norms differ. NaN norms sort last (kept).
///
/// Example, rows `[1, -1]`, `[0.5, 0]`, `[0, -2]`, `[0.25, 0.25]` (norms 2, 0.5, 2, 0.5) at
/// `s = 0.5`: k = 2 → channels 1 and 3 are removed.
///
/// The layer's bias at those channels is zeroed too (`Workbench.apply`), so a pruned channel
/// outputs exactly 0, which is what the model computes once `FilterRemoval` has removed it.
extension Pruner {
    /// The L1 norm of every output channel's row, in channel order.
    public static func filterNorms(of weights: Tensor, outputChannelAxis: Int) -> [Double] {
        let rows = ChannelRows(shape: weights.shape, outputChannelAxis: outputChannelAxis)
        var norms = [Double](repeating: 0, count: rows.channelCount)
        let storage = weights.storage
        for outer in 0..<rows.outerCount {
            for channel in 0..<rows.channelCount {
                let start = (outer * rows.channelCount + channel) * rows.innerCount
                var sum = 0.0
                for index in start..<(start + rows.innerCount) { sum += Double(abs(storage[index])) }
                norms[channel] += sum
            }
        }
        return norms
    }

    /// The output channels `fraction` removes, ascending: the `round(fraction · C_out)` smallest
    /// L1 norms, ties by lower index.
    public static func prunedFilters(of weights: Tensor, outputChannelAxis: Int, fraction: Double) -> [Int] {
        let norms = filterNorms(of: weights, outputChannelAxis: outputChannelAxis)
        let count = prunedCount(forSparsity: fraction, of: norms.count)
        guard count > 0 else { return [] }
        let order = norms.indices.sorted { left, right in
            let (a, b) = (norms[left].isNaN ? .infinity : norms[left], norms[right].isNaN ? .infinity : norms[right])
            return a != b ? a < b : left < right
        }
        return order.prefix(count).sorted()
    }

    /// The mask of every weight in the removed channels' rows.
    static func filterMask(for weights: Tensor, outputChannelAxis: Int, fraction: Double) -> [Bool] {
        var mask = [Bool](repeating: false, count: weights.count)
        let rows = ChannelRows(shape: weights.shape, outputChannelAxis: outputChannelAxis)
        for channel in prunedFilters(of: weights, outputChannelAxis: outputChannelAxis, fraction: fraction) {
            for position in 0..<rows.rowLength {
                mask[rows.flatIndex(channel: channel, position: position)] = true
            }
        }
        return mask
    }
}
