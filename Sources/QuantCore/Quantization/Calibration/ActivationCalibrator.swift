/// Accumulates one layer output's statistics over calibration batches (from the training split)
/// and turns them into a quantization range with a `CalibrationMethod`.
///
/// It keeps the exact running minimum and maximum and a histogram of `|x|` with `binCount`
/// equal bins over `[0, histogramUpperBound]`. The first batch with a nonzero value sets the
/// upper bound to its `max |x|`; when a later batch exceeds it, the bound doubles as often as
/// needed and every `2^d` neighbouring bins merge into one, so counts are never interpolated and
/// the result depends only on the batches and their order. NaN and ±infinity are skipped (and
/// counted in `nonFiniteCount`).
///
/// ```swift
/// var calibrator = try ActivationCalibrator()
/// for batch in batches { calibrator.observe(batch) }
/// let parameters = try calibrator.quantization(method: .entropy, bitWidth: 8)
/// ActivationQuantizer.fakeQuantize(&output, with: parameters)
/// ```
public struct ActivationCalibrator: Sendable, Equatable {
    /// The histogram size used unless told otherwise (TensorRT's).
    public static let defaultBinCount = 2048
    /// The percentile the `.percentile` method uses unless told otherwise.
    public static let defaultPercentile = 99.99

    /// Number of histogram bins.
    public let binCount: Int
    /// Counts of `|x|` per bin; bin `k` covers `[k, k + 1) · binWidth` (the last bin includes its upper edge).
    public private(set) var histogram: [Int]
    /// The histogram's upper edge: `max |x|` of the first nonzero batch, doubled as needed since.
    public private(set) var histogramUpperBound: Float = 0
    /// The smallest finite value observed (+infinity before any).
    public private(set) var minimum: Float = .infinity
    /// The largest finite value observed (−infinity before any).
    public private(set) var maximum: Float = -.infinity
    /// Number of finite values observed.
    public private(set) var count = 0
    /// Number of those that were exactly 0 (exactly representable, so free of rounding error).
    public private(set) var zeroCount = 0
    /// Number of NaN or infinite values skipped.
    public private(set) var nonFiniteCount = 0

    /// Creates an empty calibrator.
    ///
    /// - Throws: `QuantizationError.invalidBinCount` when `binCount < 1`.
    public init(binCount: Int = ActivationCalibrator.defaultBinCount) throws {
        guard binCount >= 1 else { throw QuantizationError.invalidBinCount(binCount) }
        self.binCount = binCount
        histogram = [Int](repeating: 0, count: binCount)
    }

    /// The width of one bin (0 while only zeros were seen).
    public var binWidth: Float { histogramUpperBound / Float(binCount) }

    /// Whether every observed value was ≥ 0, so an unsigned range fits (e.g. after ReLU).
    public var isNonNegative: Bool { minimum >= 0 }

    /// The largest observed `|x|` (0 before any value).
    public var maxMagnitude: Float { count == 0 ? 0 : max(abs(minimum), abs(maximum)) }

    /// Adds a batch of values. O(n).
    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        var batchMaxMagnitude: Float = 0
        for x in values {
            guard x.isFinite else {
                nonFiniteCount += 1
                continue
            }
            minimum = min(minimum, x)
            maximum = max(maximum, x)
            batchMaxMagnitude = max(batchMaxMagnitude, abs(x))
        }
        if batchMaxMagnitude > histogramUpperBound { growHistogram(toCover: batchMaxMagnitude) }
        let upperBound = histogramUpperBound
        let lastBin = binCount - 1
        let bins = Float(binCount)
        var finiteCount = 0, zeros = 0
        histogram.withUnsafeMutableBufferPointer { histogram in
            for x in values where x.isFinite {
                finiteCount += 1
                guard x != 0 else {
                    zeros += 1
                    histogram[0] += 1
                    continue
                }
                // |x| / upperBound ≤ 1 and finite, even for a subnormal bound.
                let position = abs(x) / upperBound * bins
                histogram[position < bins ? Int(position) : lastBin] += 1
            }
        }
        count += finiteCount
        zeroCount += zeros
    }

    /// Adds a batch of values.
    public mutating func observe(_ values: [Float]) {
        values.withUnsafeBufferPointer { observe($0) }
    }

    /// Adds a batch (any shape: every element is one observation).
    public mutating func observe(_ tensor: Tensor) {
        observe(tensor.storage)
    }

    /// Doubles the upper bound until it covers `magnitude`, merging `2^d` old bins per new bin.
    private mutating func growHistogram(toCover magnitude: Float) {
        guard histogramUpperBound > 0 else {
            // Only zeros so far: they stay in bin 0 whatever the bound.
            histogramUpperBound = magnitude
            return
        }
        var doublings = 0
        var bound = histogramUpperBound
        while bound < magnitude {
            bound *= 2
            doublings += 1
        }
        histogramUpperBound = bound
        guard doublings < 62 else {
            let total = histogram.reduce(0, +)
            histogram = [Int](repeating: 0, count: binCount)
            histogram[0] = total
            return
        }
        let factor = 1 << doublings
        var merged = [Int](repeating: 0, count: binCount)
        for (bin, binCount) in histogram.enumerated() { merged[bin / factor] += binCount }
        histogram = merged
    }
}
