/// What a histogram pane shows, as plain values: float and dequantized weight counts over shared
/// bins, the quantization levels and the pruned band.
public struct HistogramData: Sendable, Equatable {
    /// `binCount + 1` ascending edges; bin `i` covers `binEdges[i]…binEdges[i + 1]`.
    public var binEdges: [Float]
    /// Float (original) weights per bin.
    public var floatCounts: [Int]
    /// Dequantized weights per bin (they pile up on the levels).
    public var quantizedCounts: [Int]
    /// The distinct values the quantized weights can take (any order; outside the edges allowed).
    public var levels: [Float]
    /// Weights with a magnitude in this band were pruned to zero.
    public var prunedBand: ClosedRange<Float>?
    /// Whether `levels` is incomplete (too many distinct values were collected).
    public var levelsAreCapped: Bool

    /// Creates histogram data.
    public init(
        binEdges: [Float], floatCounts: [Int], quantizedCounts: [Int], levels: [Float] = [],
        prunedBand: ClosedRange<Float>? = nil, levelsAreCapped: Bool = false
    ) {
        self.binEdges = binEdges
        self.floatCounts = floatCounts
        self.quantizedCounts = quantizedCounts
        self.levels = levels
        self.prunedBand = prunedBand
        self.levelsAreCapped = levelsAreCapped
    }

    /// Nothing to show.
    public static let empty = HistogramData(binEdges: [], floatCounts: [], quantizedCounts: [])

    /// `binEdges.first…binEdges.last` when both are finite and ascending, else nil.
    var range: ClosedRange<Float>? {
        guard let lower = binEdges.first, let upper = binEdges.last, lower.isFinite, upper.isFinite,
            lower < upper
        else { return nil }
        return lower...upper
    }

    /// Whether there are no counts at all to draw.
    var isEmpty: Bool { floatCounts.isEmpty && quantizedCounts.isEmpty }
}

/// Maps bins and values onto the columns of a plot.
struct HistogramColumns {
    /// Plot width in columns.
    let width: Int
    /// The value range across the plot, if known.
    let range: ClosedRange<Float>?

    /// `counts` resampled to `width` columns: several bins per column are summed, one bin spread
    /// over several columns is repeated; negative counts count as 0.
    func resample(_ counts: [Int]) -> [Int] {
        guard width > 0, !counts.isEmpty else { return [Int](repeating: 0, count: max(width, 0)) }
        let bins = counts.count
        return (0..<width).map { column in
            if bins <= width {
                return max(counts[column * bins / width], 0)
            }
            let first = column * bins / width
            let last = (column + 1) * bins / width
            return counts[first..<max(last, first + 1)].reduce(0) { $0 &+ max($1, 0) }
        }
    }

    /// How far outside the range a value may lie and still count as on its edge: the last bin
    /// edge is often a rounding step away from the largest level.
    var tolerance: Double {
        guard let range else { return 0 }
        return (Double(range.upperBound) - Double(range.lowerBound)) * 1e-4
    }

    /// Whether `value` lies below the range, beyond the tolerance.
    func isBelow(_ value: Float) -> Bool {
        guard let range, value.isFinite else { return false }
        return Double(value) < Double(range.lowerBound) - tolerance
    }

    /// Whether `value` lies above the range, beyond the tolerance.
    func isAbove(_ value: Float) -> Bool {
        guard let range, value.isFinite else { return false }
        return Double(value) > Double(range.upperBound) + tolerance
    }

    /// The column showing `value`, or nil when it is outside the range (or not finite).
    func column(of value: Float) -> Int? {
        guard width > 0, let range, value.isFinite, !isBelow(value), !isAbove(value) else { return nil }
        let fraction =
            (Double(value) - Double(range.lowerBound)) / (Double(range.upperBound) - Double(range.lowerBound))
        return min(max(Int((fraction * Double(width)).rounded(.down)), 0), width - 1)
    }

    /// The columns covered by `band` (clipped to the range), or nil when they do not meet.
    func columns(of band: ClosedRange<Float>) -> ClosedRange<Int>? {
        guard let range, band.lowerBound.isFinite, band.upperBound.isFinite, band.overlaps(range),
            let first = column(of: max(band.lowerBound, range.lowerBound)),
            let last = column(of: min(band.upperBound, range.upperBound))
        else { return nil }
        return first...last
    }
}
