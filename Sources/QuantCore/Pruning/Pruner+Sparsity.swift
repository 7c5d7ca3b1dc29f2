/// Target-sparsity pruning: exactly `k = round(s · n)` weights are pruned, the smallest `|w|`
/// first, as `torch.nn.utils.prune.l1_unstructured(module, name, amount=s)` does.
///
/// `round` is PyTorch's (Python's `round` of the float64 product `s · n`): to nearest, halves to
/// even, so `0.5 · 7 = 3.5` prunes 4 and `0.5 · 5 = 2.5` prunes 2, and `0.29 · 100`
/// (28.999… in binary) prunes 29. Weights are ordered by `(|w|, flat index)`, so equal
/// magnitudes are pruned lower index first and the result is deterministic. PyTorch picks among
/// equal magnitudes at the boundary by its `topk` selection algorithm (no documented order), so
/// the two agree on the count always and on the mask whenever the `k`-th and `(k+1)`-th
/// smallest magnitudes differ (`Tests/QuantCoreTests/Pruning/PruningOracleTests.swift`, fixtures
/// from `Scripts/generate_pruning_oracles.py`). A sparsity below 0 prunes nothing, one of 1 or
/// more prunes everything. NaN weights sort last.
///
/// Example, `[0.4, -0.1, 0.1, 0.0]`, sparsity 0.5: k = 2, order 0.0 (3), 0.1 (1), 0.1 (2), 0.4 (0)
/// → prune indices 3 and 1 → `[F, T, F, T]`; the matching threshold is 0.1, which as a threshold
/// rule would prune index 2 as well (ties).
extension Pruner {
    /// The number of weights a sparsity of `sparsity` prunes from `count` weights.
    public static func prunedCount(forSparsity sparsity: Double, of count: Int) -> Int {
        guard sparsity > 0, count > 0 else { return 0 }
        guard sparsity < 1 else { return count }
        return min(count, Int((sparsity * Double(count)).rounded(.toNearestOrEven)))
    }

    /// The threshold that matches a sparsity: the largest `|w|` the sparsity rule prunes.
    ///
    /// Thresholding at this value prunes at least the same weights (more when other weights tie
    /// with it). Nil when the sparsity prunes nothing.
    public static func threshold(forSparsity sparsity: Double, of weights: Tensor) -> Float? {
        let count = prunedCount(forSparsity: sparsity, of: weights.count)
        guard count > 0 else { return nil }
        let order = magnitudeOrder(of: weights.storage)
        return abs(weights.storage[order[count - 1]])
    }

    /// The mask pruning exactly `round(sparsity · n)` smallest-magnitude weights.
    static func sparsityMask(for weights: [Float], sparsity: Double) -> [Bool] {
        var mask = [Bool](repeating: false, count: weights.count)
        let count = prunedCount(forSparsity: sparsity, of: weights.count)
        guard count > 0 else { return mask }
        for index in magnitudeOrder(of: weights).prefix(count) {
            mask[index] = true
        }
        return mask
    }

    /// Flat indices sorted by `(|w|, index)`, NaN magnitudes last.
    ///
    /// Sorts one `UInt64` key per weight: the bit pattern of `|w|` (which orders like the value
    /// for non-negative floats, with NaN above +∞) in the high half, the index in the low half
    /// (tensors hold fewer than 2^32 weights).
    static func magnitudeOrder(of weights: [Float]) -> [Int] {
        var keys = weights.indices.map { index in
            UInt64(abs(weights[index]).bitPattern) << 32 | UInt64(UInt32(truncatingIfNeeded: index))
        }
        keys.sort()
        return keys.map { Int($0 & 0xFFFF_FFFF) }
    }
}
