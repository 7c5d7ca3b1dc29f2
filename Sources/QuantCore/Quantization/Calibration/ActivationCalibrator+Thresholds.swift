import Foundation

extension ActivationCalibrator {
    /// The calibrated threshold `T`: the range is `[0, T]` when `isNonNegative`, else `[−T, T]`.
    ///
    /// - `minmax`: `max |x|` (exactly `maximum` for non-negative outputs).
    /// - `percentile`: the `percentile`-th percentile of `|x|`, interpolated linearly inside its bin.
    /// - `entropy`: TensorRT's KL-divergence search: for each candidate `i` (bins kept), the
    ///   reference `P` = bins `0..<i` with the outliers beyond added to bin `i − 1`, the candidate
    ///   `Q` = bins `0..<i` merged into `L` levels (`2^b` unsigned, `2^(b−1)` signed, e.g. 128 for
    ///   int8 as TensorRT) and spread back over the bins where `P` is nonzero; both smoothed
    ///   (ε = 1e-4, as MXNet). `T = i · binWidth` for the `i` with the least KL(P ‖ Q), the first
    ///   on ties. When `L ≥ binCount` there is nothing to search and `T = max |x|`.
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

    /// TensorRT's entropy calibration over the histogram with `levels` quantized bins.
    func entropyThreshold(levels: Int) -> Float {
        guard levels < binCount else { return maxMagnitude }
        let counts = histogram.map(Double.init)
        var suffix = [Double](repeating: 0, count: binCount + 1)
        for bin in stride(from: binCount - 1, through: 0, by: -1) { suffix[bin] = suffix[bin + 1] + counts[bin] }
        var reference = [Double](repeating: 0, count: binCount)
        var candidate = [Double](repeating: 0, count: binCount)
        var best = (kept: binCount, divergence: Double.infinity)
        for kept in levels...binCount {
            for bin in 0..<kept { reference[bin] = counts[bin] }
            reference[kept - 1] += suffix[kept]  // outliers clip into the last kept bin
            let binsPerLevel = kept / levels
            for level in 0..<levels {
                let start = level * binsPerLevel
                let end = level == levels - 1 ? kept : start + binsPerLevel
                var mass: Double = 0
                var nonzero = 0
                for bin in start..<end {
                    mass += counts[bin]
                    if reference[bin] != 0 { nonzero += 1 }
                }
                for bin in start..<end {
                    candidate[bin] = reference[bin] != 0 && nonzero > 0 ? mass / Double(nonzero) : 0
                }
            }
            let divergence = Self.klDivergence(reference[..<kept], candidate[..<kept])
            if divergence < best.divergence { best = (kept, divergence) }
        }
        return Float(best.kept) * binWidth
    }

    /// KL(P ‖ Q) of two count vectors after MXNet's smoothing (ε = 1e-4 moved onto empty bins);
    /// infinity when either has no mass.
    static func klDivergence(_ reference: ArraySlice<Double>, _ candidate: ArraySlice<Double>) -> Double {
        guard let p = smoothed(reference), let q = smoothed(candidate) else { return .infinity }
        let pTotal = p.reduce(0, +), qTotal = q.reduce(0, +)
        var divergence: Double = 0
        for (pCount, qCount) in zip(p, q) where pCount > 0 {
            let pShare = pCount / pTotal, qShare = qCount / qTotal
            divergence += qShare > 0 ? pShare * Foundation.log(pShare / qShare) : .infinity
        }
        return divergence
    }

    /// Counts with ε added to empty bins and taken evenly from the others (never more than half of
    /// the smallest nonzero count, so no bin turns negative); `nil` when all are empty.
    static func smoothed(_ counts: ArraySlice<Double>) -> [Double]? {
        let epsilon = 1e-4
        let zeros = counts.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        let nonzeros = counts.count - zeros
        guard nonzeros > 0 else { return nil }
        let smallest = counts.reduce(Double.infinity) { $1 > 0 ? min($0, $1) : $0 }
        let taken = min(epsilon * Double(zeros) / Double(nonzeros), smallest / 2)
        return counts.map { $0 == 0 ? epsilon : $0 - taken }
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
            let clipped = secondMoment[edge] - 2 * threshold * firstMoment[edge] + threshold * threshold * countSuffix[edge]
            let error = inside * step * step / 12 + clipped
            if error <= best.error { best = (edge, error) }
        }
        return Float(Double(best.edge) * width)
    }
}
