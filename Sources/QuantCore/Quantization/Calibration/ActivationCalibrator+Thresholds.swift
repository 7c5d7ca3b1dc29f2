import Foundation

extension ActivationCalibrator {
    /// The calibrated threshold `T`: the range is `[0, T]` when `isNonNegative`, else `[−T, T]`.
    ///
    /// - `minmax`: `max |x|` (exactly `maximum` for non-negative outputs).
    /// - `percentile`: the `percentile`-th percentile of `|x|`, interpolated linearly inside its bin.
    /// - `entropy`: the KL-divergence search of TensorRT's entropy calibration, as NVIDIA ModelOpt
    ///   implements it (zero bin replaced by its neighbour, candidates from 128 bins kept, `L` =
    ///   `2^b` levels unsigned or `2^(b−1)` signed, ties keep the larger `T`); see
    ///   `ActivationCalibrator+Entropy.swift`, including when it fails (spiky histograms such as
    ///   a convolution's bias on blank input; isolated outliers are never clipped).
    /// - `mse`: the bin edge `T = i · binWidth` minimizing the expected squared error
    ///   `Σ_{bins inside} n · Δ²/12 + Σ_{bins beyond} n · (center − T)²`, `Δ = T / levels`
    ///   (`2^b − 1` unsigned, `2^(b−1) − 1` signed); exact zeros count as error-free. Ties keep
    ///   the larger `T`.
    ///
    /// Every histogram-based `T` is capped at `max |x|`.
    /// - Throws: `QuantizationError.noCalibrationData` before any finite value,
    ///   `.unsupportedActivationBitWidth` outside 2…16, `.invalidPercentile` outside (0, 100].
    public func threshold(
        method: CalibrationMethod, bitWidth: Int, percentile: Double = ActivationCalibrator.defaultPercentile
    ) throws -> Float {
        guard count > 0 else { throw QuantizationError.noCalibrationData }
        guard (2...16).contains(bitWidth) else { throw QuantizationError.unsupportedActivationBitWidth(bitWidth) }
        let threshold: Float
        switch method {
        case .minmax:
            return maxMagnitude
        case .percentile:
            guard percentile > 0, percentile <= 100 else { throw QuantizationError.invalidPercentile(percentile) }
            threshold = percentileThreshold(percentile)
        case .entropy:
            threshold = entropyThreshold(levels: isNonNegative ? 1 << bitWidth : 1 << (bitWidth - 1))
        case .mse:
            threshold = mseThreshold(steps: isNonNegative ? (1 << bitWidth) - 1 : (1 << (bitWidth - 1)) - 1)
        }
        return min(threshold, maxMagnitude)
    }

    /// The quantization parameters for the calibrated threshold: unsigned when `isNonNegative`, else signed.
    ///
    /// - Throws: as `threshold(method:bitWidth:percentile:)`.
    public func quantization(
        method: CalibrationMethod, bitWidth: Int, percentile: Double = ActivationCalibrator.defaultPercentile
    ) throws -> ActivationQuantization {
        let threshold = try threshold(method: method, bitWidth: bitWidth, percentile: percentile)
        return try ActivationQuantization(threshold: threshold, bitWidth: bitWidth, isSigned: !isNonNegative)
    }

    /// The `percentile`-th percentile of `|x|` from the histogram.
    func percentileThreshold(_ percentile: Double) -> Float {
        let target = percentile / 100 * Double(count)
        var cumulative: Double = 0
        for (bin, binCount) in histogram.enumerated() where binCount > 0 {
            let next = cumulative + Double(binCount)
            if next >= target {
                let fraction = (target - cumulative) / Double(binCount)
                return Float((Double(bin) + fraction) * Double(binWidth))
            }
            cumulative = next
        }
        return maxMagnitude
    }

    /// The bin edge minimizing the expected squared error with `steps` steps over `[0, T]`.
    func mseThreshold(steps: Int) -> Float {
        let width = Double(binWidth)
        guard width > 0 else { return 0 }
        // Suffix sums of n, n·c and n·c² over bin centers c, for the clipped tail in O(1) per candidate.
        var countSuffix = [Double](repeating: 0, count: binCount + 1)
        var firstMoment = countSuffix, secondMoment = countSuffix
        for bin in stride(from: binCount - 1, through: 0, by: -1) {
            let n = Double(histogram[bin]) - (bin == 0 ? Double(zeroCount) : 0)
            let center = (Double(bin) + 0.5) * width
            countSuffix[bin] = countSuffix[bin + 1] + n
            firstMoment[bin] = firstMoment[bin + 1] + n * center
            secondMoment[bin] = secondMoment[bin + 1] + n * center * center
        }
        var best = (edge: binCount, error: Double.infinity)
        for edge in 1...binCount {
            let threshold = Double(edge) * width
            let step = threshold / Double(steps)
            let inside = countSuffix[0] - countSuffix[edge]
            let clipped =
                secondMoment[edge] - 2 * threshold * firstMoment[edge] + threshold * threshold * countSuffix[edge]
            let error = inside * step * step / 12 + clipped
            if error <= best.error { best = (edge, error) }
        }
        return Float(Double(best.edge) * width)
    }
}
