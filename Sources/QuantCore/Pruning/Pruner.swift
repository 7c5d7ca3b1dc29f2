/// Magnitude pruning: which weights become exactly zero before quantization.
///
/// Every rule returns a mask with one entry per weight (flat, row-major), `true` = pruned.
/// Each rule has a plain reference implementation in its own file:
///
/// | rule | file | prunes |
/// | --- | --- | --- |
/// | `.threshold(t)` | `Pruner+Threshold.swift` | every weight with `|w| ≤ t` (so `t = 0` prunes exact zeros only) |
/// | `.sparsity(s)` | `Pruner+Sparsity.swift` | exactly `round(s · n)` weights (halves to even, as PyTorch), smallest `|w|` first, ties by lower index |
/// | `.pattern(N, M)` | `Pruner+Pattern.swift` | all but the `N` largest `|w|` of every `M` consecutive weights of a row |
/// | `.filters(s)` | `Pruner+Filters.swift` | every weight of the `round(s · C_out)` output-channel rows with the smallest L1 norm |
///
/// Worked example, weights `[0.5, 0.4, 0.0, 0.3, -0.2, 0.1]` as one row:
///
/// | rule | mask |
/// | --- | --- |
/// | threshold 0.1 | `[F, F, T, F, F, T]` (`|w| ≤ 0.1`) |
/// | sparsity 0.5 | `[F, F, T, F, T, T]` (the 3 smallest: 0.0, 0.1, −0.2) |
/// | pattern 1:2 | `[F, T, T, F, F, T]` (the smaller of (0.5, 0.4), (0.0, 0.3), (−0.2, 0.1)) |
public enum Pruner {
    /// Which weights `rule` prunes (`true` = pruned), one entry per weight in flat order.
    ///
    /// - Parameters:
    ///   - weights: the float weights, e.g. `[out, in, kH, kW]` or `[in, out]`.
    ///   - outputChannelAxis: the axis indexing output channels (`Layer.outputChannelAxis`);
    ///     only N:M patterns and filters read it. An axis outside the shape treats the tensor as one row.
    ///   - rule: the pruning rule; out-of-range values are clamped (see each rule).
    /// - Complexity: O(n) for thresholds and patterns, O(n log n) for sparsity.
    public static func mask(for weights: Tensor, outputChannelAxis: Int, rule: PruningRule) -> [Bool] {
        switch rule {
        case .threshold(let threshold):
            thresholdMask(for: weights.storage, threshold: threshold)
        case .sparsity(let sparsity):
            sparsityMask(for: weights.storage, sparsity: sparsity)
        case .pattern(let keep, let of):
            patternMask(for: weights, outputChannelAxis: outputChannelAxis, keep: keep, of: of)
        case .filters(let fraction):
            filterMask(for: weights, outputChannelAxis: outputChannelAxis, fraction: fraction)
        }
    }

    /// The largest `|w|` among pruned weights, or nil when nothing is pruned.
    ///
    /// For a threshold rule this is at most the threshold; for sparsity and N:M it is the
    /// effective threshold the rule ended up using (what the histogram shades as the pruned band).
    public static func largestPrunedMagnitude(of weights: [Float], mask: [Bool]) -> Float? {
        var largest: Float? = nil
        for index in weights.indices where index < mask.count && mask[index] {
            let magnitude = abs(weights[index])
            if magnitude.isNaN { continue }
            largest = max(largest ?? magnitude, magnitude)
        }
        return largest
    }

    /// The output-channel rows of a tensor: channel `c` owns the weights `(o, c, i)` of the
    /// tensor viewed as `[outer, channels, inner]`, in row-major order of `(o, i)`.
    ///
    /// Contiguous `[in/g · kH · kW]` for Conv and transB Gemm (axis 0); a column (stride `out`)
    /// for MatMul `[in, out]` (axis 1). The same layout as per-channel quantization.
    struct ChannelRows {
        /// Product of the extents before the channel axis.
        let outerCount: Int
        /// Number of output channels (rows).
        let channelCount: Int
        /// Product of the extents after the channel axis.
        let innerCount: Int

        /// The rows of a tensor of `shape`; an invalid axis gives one row of every weight.
        init(shape: [Int], outputChannelAxis: Int) {
            guard shape.indices.contains(outputChannelAxis) else {
                (outerCount, channelCount, innerCount) = (1, 1, Tensor.elementCount(of: shape))
                return
            }
            outerCount = shape[..<outputChannelAxis].reduce(1, *)
            channelCount = shape[outputChannelAxis]
            innerCount = shape[(outputChannelAxis + 1)...].reduce(1, *)
        }

        /// Weights per row.
        var rowLength: Int { outerCount * innerCount }

        /// The flat index of position `position` of row `channel`.
        func flatIndex(channel: Int, position: Int) -> Int {
            let outer = position / innerCount
            let inner = position % innerCount
            return (outer * channelCount + channel) * innerCount + inner
        }
    }
}
