import CKernels
import Foundation

/// Float and dequantized weights binned over one shared range, plus the quantization levels and
/// the pruned band: everything the histogram pane draws.
///
/// Binning: `binCount` equal-width bins over `[lower, upper]`; value `x` goes to bin
/// `⌊(x − lower) · binCount / (upper − lower)⌋`, and `x == upper` goes to the last bin. Values
/// outside an explicit range, NaN and ±∞ are not binned but counted in `…OutsideCount`. The
/// default range is `[min, max]` over the finite values of both arrays; a zero-width range
/// (constant tensor) is widened to `v ± max(|v| / 2, 0.5)` so the values sit in the middle bin.
///
/// Example: float `[-1, 0, 0.5, 1]`, dequantized `[-1, 0, 0, 1]`, 4 bins → edges
/// `[-1, -0.5, 0, 0.5, 1]`, float counts `[1, 0, 1, 2]`, dequantized counts `[1, 0, 2, 1]`,
/// levels `[-1, 0, 1]`.
///
/// - Complexity: O(n) per array; levels add one hash insert per weight, capped at `levelCap`
///   distinct values (only the levels are sorted).
public struct WeightHistogram: Sendable, Equatable, Codable {
    /// At most this many distinct levels are collected; more sets `levelsAreCapped`.
    public static let levelCap = 4096

    /// `binCount + 1` ascending edges; bin `i` is `[binEdges[i], binEdges[i + 1])`, the last closed.
    public var binEdges: [Float]
    /// Float weights per bin.
    public var floatCounts: [Int]
    /// Dequantized weights per bin.
    public var dequantizedCounts: [Int]
    /// Float weights not binned (outside the range, or not finite).
    public var floatOutsideCount: Int
    /// Dequantized weights not binned (outside the range, or not finite).
    public var dequantizedOutsideCount: Int
    /// The distinct finite dequantized values, ascending (`-0` counts as `0`); at most `levelCap`.
    public var levels: [Float]
    /// Whether there were more than `levelCap` distinct values (then `levels` is incomplete).
    public var levelsAreCapped: Bool
    /// `−m…m`: weights with `|w|` in it were pruned (`m` = threshold, or the largest pruned `|w|`).
    public var prunedBand: ClosedRange<Float>?

    /// Number of bins.
    public var binCount: Int { floatCounts.count }

    /// Bins float and dequantized weights over a shared range and collects the levels.
    ///
    /// - Parameters:
    ///   - floatWeights: the original weights.
    ///   - dequantized: the decoded weights (any count; usually the same as `floatWeights`).
    ///   - binCount: number of bins; values below 1 are treated as 1.
    ///   - range: the range to bin over; nil covers both arrays.
    ///   - prunedBand: the pruned band to show, if any (see `prunedBand(for:floatWeights:prunedMask:)`).
    public init(
        of floatWeights: [Float], dequantized: [Float], binCount: Int, range: ClosedRange<Float>? = nil,
        prunedBand: ClosedRange<Float>? = nil
    ) {
        self.init(
            of: floatWeights, dequantized: dequantized, binCount: binCount, range: range, prunedBand: prunedBand,
            levels: WeightHistogram.levels(of: dequantized))
    }

    /// Bins a weight tensor against its quantized form; levels come from the codes when the
    /// tensor is one block, the pruned band from the quantized settings and mask.
    public init(of float: Tensor, quantized: QuantizedWeights, binCount: Int, range: ClosedRange<Float>? = nil) {
        let levels =
            WeightHistogram.levels(fromCodes: quantized)
            ?? WeightHistogram.levels(of: quantized.dequantized)
        self.init(
            of: float.storage, dequantized: quantized.dequantized, binCount: binCount, range: range,
            prunedBand: WeightHistogram.prunedBand(
                for: quantized.settings.pruning, floatWeights: float.storage, prunedMask: quantized.prunedMask),
            levels: levels)
    }

    /// A histogram with its levels already found (from codes, or `levels(of:)`).
    init(
        of floatWeights: [Float], dequantized: [Float], binCount: Int, range: ClosedRange<Float>?,
        prunedBand: ClosedRange<Float>?, levels: (values: [Float], isCapped: Bool)
    ) {
        let bins = max(binCount, 1)
        let (lower, upper) = WeightHistogram.binningRange(floatWeights, dequantized, requested: range)
        binEdges = (0...bins).map { index in
            index == bins
                ? upper : Float(Double(lower) + (Double(upper) - Double(lower)) * Double(index) / Double(bins))
        }
        // The two counts are independent: on two cores for large layers.
        let counted = WeightHistogram.countBoth(floatWeights, dequantized, bins: bins, lower: lower, upper: upper)
        (floatCounts, floatOutsideCount) = counted.float
        (dequantizedCounts, dequantizedOutsideCount) = counted.dequantized
        self.levels = levels.values
        levelsAreCapped = levels.isCapped
        self.prunedBand = prunedBand
    }

    /// The band the histogram shades as pruned for `rule`.
    ///
    /// Threshold `t` → `−t…t`; sparsity and N:M → `−m…m` with `m` the largest pruned `|w|`
    /// (their effective threshold); nil when there is no rule or nothing was pruned.
    public static func prunedBand(
        for rule: PruningRule?, floatWeights: [Float], prunedMask: [Bool]
    ) -> ClosedRange<Float>? {
        switch rule {
        case nil: return nil
        case .threshold(let threshold)?:
            guard threshold.isFinite, threshold >= 0 else { return nil }
            return -threshold...threshold
        case .sparsity?, .pattern?, .filters?:
            guard let magnitude = Pruner.largestPrunedMagnitude(of: floatWeights, mask: prunedMask) else {
                return nil
            }
            return -magnitude...magnitude
        }
    }

    // MARK: Reference helpers

    /// The range to bin over: the requested one or `[min, max]` of the finite values, widened
    /// when its width is zero.
    static func binningRange(_ first: [Float], _ second: [Float], requested: ClosedRange<Float>?) -> (Float, Float) {
        var lower: Float
        var upper: Float
        if let requested, requested.lowerBound.isFinite, requested.upperBound.isFinite {
            (lower, upper) = (requested.lowerBound, requested.upperBound)
        } else {
            (lower, upper) = (Float.infinity, -Float.infinity)
            for values in [first, second] {
                if let range = values.withUnsafeBufferPointer(VectorReductions.finiteMinMax) {
                    lower = min(lower, range.lower)
                    upper = max(upper, range.upper)
                }
            }
            if lower > upper { (lower, upper) = (0, 0) }  // no finite values at all
        }
        if lower == upper {
            let halfWidth = max(abs(lower) / 2, 0.5)
            (lower, upper) = (lower - halfWidth, upper + halfWidth)
        }
        return (lower, upper)
    }

    /// Counts `values` into `bins` equal bins over `[lower, upper]`; returns counts and the
    /// number of values outside (or not finite).
    /// `count` of both arrays; for large ones, the C loop (`ck_histogram`, the same arithmetic)
    /// on two cores at once.
    static func countBoth(
        _ first: [Float], _ second: [Float], bins: Int, lower: Float, upper: Float
    ) -> (float: ([Int], Int), dequantized: ([Int], Int)) {
        guard first.count + second.count >= 1 << 16 else {
            return (
                count(first, bins: bins, lower: lower, upper: upper),
                count(second, bins: bins, lower: lower, upper: upper)
            )
        }
        let results = HistogramHalves()
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let values = part == 0 ? first : second
            var counts = [Int](repeating: 0, count: bins)
            var outside = 0
            values.withUnsafeBufferPointer { source in
                counts.withUnsafeMutableBufferPointer { target in
                    guard let base = source.baseAddress, let bins = target.baseAddress else { return }
                    ck_histogram(base, source.count, target.count, lower, upper, bins, &outside)
                }
            }
            results.set(part, (counts, outside))
        }
        return (results.get(0), results.get(1))
    }

    static func count(_ values: [Float], bins: Int, lower: Float, upper: Float) -> ([Int], Int) {
        var counts = [Int](repeating: 0, count: bins)
        var outside = 0
        let origin = Double(lower)
        let binsPerUnit = Double(bins) / (Double(upper) - Double(lower))
        for value in values {
            guard value >= lower, value <= upper else {  // also false for NaN
                outside += 1
                continue
            }
            let bin = min(Int((Double(value) - origin) * binsPerUnit), bins - 1)
            counts[max(bin, 0)] += 1
        }
        return (counts, outside)
    }

    /// The sorted distinct finite values, collected in a set of bit patterns up to `levelCap`.
    static func levels(of values: [Float]) -> (values: [Float], isCapped: Bool) {
        var seen = Set<UInt32>()
        seen.reserveCapacity(64)
        // A direct-mapped memo of values already seen spares most hashing (a layer repeats its
        // few levels a million times); it starts as NaN, which finite values never equal.
        var recent = [UInt32](repeating: Float.nan.bitPattern, count: 256)
        var isCapped = false
        for value in values where value.isFinite {
            let bits = (value == 0 ? 0 : value).bitPattern
            let slot = Int(truncatingIfNeeded: (bits ^ (bits >> 13)) & 255)
            if recent[slot] == bits { continue }
            recent[slot] = bits
            if seen.count >= levelCap {
                if !seen.contains(bits) {
                    isCapped = true
                    break
                }
                continue
            }
            seen.insert(bits)
        }
        return (seen.map { Float(bitPattern: $0) }.sorted(), isCapped)
    }

    /// Levels read off the codes when the tensor is a single block: each distinct code decodes
    /// to one value. Nil when that does not apply (several blocks, codes out of table range, or
    /// a code that decodes to two values, e.g. pruned weights sharing a code).
    static func levels(fromCodes quantized: QuantizedWeights) -> (values: [Float], isCapped: Bool)? {
        let codes = quantized.codes
        let values = quantized.dequantized
        guard quantized.blockCount == 1, codes.count == values.count, let low = codes.min(), let high = codes.max(),
            Int(high) - Int(low) < 1 << 17
        else { return nil }
        var table = [UInt32?](repeating: nil, count: Int(high) - Int(low) + 1)
        for index in codes.indices {
            let value = values[index]
            let bits = (value == 0 ? 0 : value).bitPattern
            let slot = Int(codes[index]) - Int(low)
            if let known = table[slot] {
                if known != bits { return nil }
            } else {
                table[slot] = bits
            }
        }
        let distinct = Set(table.compactMap { $0 }.map { Float(bitPattern: $0) }.filter(\.isFinite))
        let sorted = distinct.sorted()
        return (Array(sorted.prefix(levelCap)), sorted.count > levelCap)
    }
}

/// The two halves of `countBoth`, written from two threads.
private final class HistogramHalves: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [([Int], Int)] = [([], 0), ([], 0)]

    func set(_ index: Int, _ value: ([Int], Int)) { lock.withLock { parts[index] = value } }
    func get(_ index: Int) -> ([Int], Int) { lock.withLock { parts[index] } }
}
