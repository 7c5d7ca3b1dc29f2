import Foundation

/// Entropy calibration: the clipping threshold whose quantized histogram is closest, in KL
/// divergence, to the float one (TensorRT's method, as NVIDIA ModelOpt implements it).
///
/// The spec is `_compute_amax_entropy` in NVIDIA ModelOpt (`modelopt.torch.quantization.calib.
/// histogram`, formerly TensorRT's pytorch-quantization). On the histogram of `|x|` (`n` bins):
///
/// 1. The zero bin gets its neighbour's count (`h[0] ← h[1]`), so a spike of exact zeros (ReLU,
///    padding) does not decide the threshold.
/// 2. For each candidate `i` = 128…n bins kept (just `n` when `n ≤ 128`):
///    - reference `P`: `h[0..<i]` with every count beyond (`Σ h[i...]`) added to bin `i − 1`;
///    - candidate `Q`: bin `k` belongs to level `⌊k · L / i⌋` of `L` levels (`2^b` unsigned,
///      `2^(b−1)` signed); each level's mass is spread evenly over its nonzero bins of `h`, and
///      bins with `h[k] = 0` get 0;
///    - `D(i) = KL(P ‖ Q)` of the normalized vectors, without smoothing: infinite when some
///      `P[k] > 0` has `Q[k] = 0` (e.g. clipped mass landing in an empty bin `i − 1`).
/// 3. `T = i · binWidth` for the LAST `i` with the least `D` (ties keep the larger threshold).
///
/// Tiny example with every `i` = 1…4 as candidates (`firstCandidate: 1`), `L = 2`, `h = [4, 0, 2, 2]`,
/// so `h[0] ← 0`:
///
/// | `i` | levels         | `P`            | `Q`            | `D` |
/// |-----|----------------|----------------|----------------|-----|
/// | 1   | `[0]`          | `[4]`          | `[0]`          | ∞   |
/// | 2   | `[0, 1]`       | `[0, 4]`       | `[0, 0]`       | ∞   |
/// | 3   | `[0, 0, 1]`    | `[0, 0, 4]`    | `[0, 0, 2]`    | 0   |
/// | 4   | `[0, 0, 1, 1]` | `[0, 0, 2, 2]` | `[0, 0, 2, 2]` | 0   |
///
/// The tie keeps `i = 4`: `T` = the histogram's upper bound.
///
/// ## When it fails
/// KL divergence weighs bins by how many values they hold, so it favours reproducing the few
/// most populated bins over keeping a sparse tail, even when the tail carries the signal:
/// - **Spiky histograms.** A convolution on mostly blank input outputs exactly its bias per
///   channel, so a few bins hold most values. On the demo CNN's `conv1` (1.6 M values in
///   [−2.51, 3.94], 7 bins holding 137 k–273 k each) this method picks T = 2.20: held-out top-1
///   96.9 % with conv1 at 8-bit weights and activations, against 97.6 % (as float) with `minmax`
///   (3.94) or `mse` (3.88). The TensorRT 2017 / MXNet formulation, without step 1 and with
///   level groups of `⌊i / L⌋` bins (the last taking the rest), picks 0.49 (56.5 %): at
///   `i = 2L − 1` its first `L − 1` levels are single bins, so every spike below bin `L − 1`
///   is reproduced exactly. MXNet 1.9.1's own calibration (8001 signed bins) picks 0.30. A
///   synthetic mixture of seven spikes and a wide tail collapses to 0.32 here too
///   (`Tests/Fixtures/modelopt-entropy.json`). The zero-bin substitution only removes the spike at 0.
/// - **Isolated outliers are never clipped.** Clipping moves their count into bin `i − 1`; when
///   that bin is empty `Q` is 0 there and `D = ∞`, so a single far outlier behind a gap of
///   empty bins keeps `T = max |x|` (use `percentile` or `mse` for such data).
/// Prefer `minmax` or `mse` where a layer's histogram is dominated by a few values.
extension ActivationCalibrator {
    /// Candidates start at this many bins kept (ModelOpt's `start_bin`).
    static let entropyFirstCandidate = 128

    /// The entropy-calibrated threshold with `levels` quantization levels.
    func entropyThreshold(levels: Int) -> Float {
        guard let binsKept = Self.entropyBinsKept(histogram: histogram, levels: levels) else { return maxMagnitude }
        return Float(binsKept) * binWidth
    }

    /// The number of bins kept: the last candidate with the least divergence; `nil` for an empty histogram.
    ///
    /// Complexity: O(n²) for `n` bins.
    static func entropyBinsKept(
        histogram: [Int], levels: Int, firstCandidate: Int = entropyFirstCandidate
    ) -> Int? {
        let divergences = entropyDivergences(histogram: histogram, levels: levels, firstCandidate: firstCandidate)
        guard let least = divergences.map(\.divergence).min() else { return nil }
        return divergences.last { $0.divergence == least }?.binsKept
    }

    /// `KL(P ‖ Q)` for every candidate number of bins kept, `min(firstCandidate, n)…n` in
    /// increasing order (the reference).
    static func entropyDivergences(
        histogram: [Int], levels: Int, firstCandidate: Int = entropyFirstCandidate
    ) -> [(binsKept: Int, divergence: Double)] {
        let binCount = histogram.count
        guard binCount > 0, levels > 0 else { return [] }
        var counts = histogram.map(Double.init)
        if binCount > 1 { counts[0] = counts[1] }  // step 1: the zero bin takes its neighbour's count
        var prefix = [Double](repeating: 0, count: binCount + 1)
        for bin in 0..<binCount { prefix[bin + 1] = prefix[bin] + counts[bin] }
        let total = prefix[binCount]
        var candidate = [Double](repeating: 0, count: binCount)
        var result: [(binsKept: Int, divergence: Double)] = []
        for kept in max(1, min(firstCandidate, binCount))...binCount {
            spreadLevels(of: counts, binsKept: kept, levels: levels, into: &candidate)
            let outliers = total - prefix[kept]
            let candidateTotal = prefix[kept]  // Q keeps exactly the mass of the nonzero bins below `kept`
            var divergence: Double = 0
            for bin in 0..<kept {
                let reference = counts[bin] + (bin == kept - 1 ? outliers : 0)
                guard reference > 0 else { continue }
                guard candidate[bin] > 0, candidateTotal > 0 else {
                    divergence = .infinity
                    break
                }
                let p = reference / total, q = candidate[bin] / candidateTotal
                divergence += p * Foundation.log(p / q)
            }
            result.append((kept, total > 0 ? divergence : .infinity))
        }
        return result
    }

    /// Writes `Q` for `binsKept` bins into `candidate[0..<binsKept]`: bin `k` is in level
    /// `⌊k · levels / binsKept⌋`, and each level's mass is shared by its nonzero bins.
    private static func spreadLevels(of counts: [Double], binsKept: Int, levels: Int, into candidate: inout [Double]) {
        var start = 0
        while start < binsKept {
            let level = start * levels / binsKept
            var end = start + 1
            while end < binsKept && end * levels / binsKept == level { end += 1 }
            var mass: Double = 0
            var nonzero = 0
            for bin in start..<end where counts[bin] != 0 {
                mass += counts[bin]
                nonzero += 1
            }
            for bin in start..<end { candidate[bin] = counts[bin] != 0 ? mass / Double(nonzero) : 0 }
            start = end
        }
    }
}
