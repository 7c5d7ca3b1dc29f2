/// Threshold pruning: a weight is pruned when `|w| ≤ threshold`.
///
/// "At or below" (≤, not <) so that the threshold the sparsity rule reports reproduces its mask,
/// and a threshold of 0 prunes exactly the weights that already are ±0. A negative threshold
/// prunes nothing; NaN weights are never pruned.
///
/// | w | threshold 0.1 | threshold 0 |
/// | --- | --- | --- |
/// | 0.0 | pruned | pruned |
/// | −0.1 | pruned | kept |
/// | 0.25 | kept | kept |
extension Pruner {
    /// The mask for `|w| ≤ threshold`, one entry per weight.
    static func thresholdMask(for weights: [Float], threshold: Float) -> [Bool] {
        weights.map { abs($0) <= threshold }
    }
}
