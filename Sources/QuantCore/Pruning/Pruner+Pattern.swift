/// N:M structured sparsity: in every `M` consecutive weights of an output channel's row, keep
/// the `N` largest `|w|` and prune the rest (NVIDIA's 2:4 sparse tensor cores use N = 2, M = 4).
///
/// Rows are the output-channel rows of `Pruner.ChannelRows`: consecutive along the input axis,
/// i.e. contiguous in a Conv `[out, in/g, kH, kW]` or Gemm `[out, in]` row, and down axis 0 of
/// each column of a MatMul `[in, out]`. Windows start at position 0 of each row; a shorter last
/// window (row length not a multiple of M) also keeps its N largest. Ties keep the lower index.
/// `N ≤ 0` keeps nothing, `N ≥ M` or `M < 1` prunes nothing.
///
/// Example, row `[0.1, -0.9, 0.5, 0.2]`, 2:4 → keep −0.9 and 0.5 → mask `[T, F, F, T]`.
extension Pruner {
    /// The mask keeping the `keep` largest `|w|` of every `of` consecutive weights in each row.
    static func patternMask(for weights: Tensor, outputChannelAxis: Int, keep: Int, of window: Int) -> [Bool] {
        var mask = [Bool](repeating: false, count: weights.count)
        guard window >= 1, keep < window else { return mask }
        let rows = ChannelRows(shape: weights.shape, outputChannelAxis: outputChannelAxis)
        let storage = weights.storage
        for channel in 0..<rows.channelCount {
            var start = 0
            while start < rows.rowLength {
                let end = min(start + window, rows.rowLength)
                let indices = (start..<end).map { rows.flatIndex(channel: channel, position: $0) }
                // Largest magnitude first; ties keep the lower flat index. NaN counts as smallest.
                let ranked = indices.sorted { left, right in
                    let a = abs(storage[left]).isNaN ? -1 : abs(storage[left])
                    let b = abs(storage[right]).isNaN ? -1 : abs(storage[right])
                    return a != b ? a > b : left < right
                }
                for index in ranked.dropFirst(max(keep, 0)) {
                    mask[index] = true
                }
                start = end
            }
        }
        return mask
    }
}
