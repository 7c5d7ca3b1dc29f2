/// A small summary of one layer's |w| for previews while typing (what a pruning threshold
/// would prune): every |w| sorted for small layers, evenly spaced order statistics for large
/// ones, so the state stays small and each keystroke costs a binary search.
public struct WeightMagnitudes: Sendable, Equatable {
    /// Sorted |w| (all of them, or `sampleCount` order statistics).
    var sorted: [Float]
    /// Number of weights in the layer.
    public var count: Int
    /// Whether `sorted` holds every |w| (previews are exact).
    public var isExact: Bool { sorted.count == count }

    /// Order statistics kept for large layers (the preview is then within 1/4096 of the truth).
    static let sampleCount = 4096

    /// Summarises `weights`.
    public init(_ weights: [Float]) {
        let magnitudes = weights.map { $0.magnitude }.sorted()
        count = magnitudes.count
        if magnitudes.count <= Self.sampleCount {
            sorted = magnitudes
        } else {
            let last = magnitudes.count - 1
            sorted = (0..<Self.sampleCount).map { magnitudes[$0 * last / (Self.sampleCount - 1)] }
        }
    }

    /// The largest |w| (0 for an empty layer).
    public var maximum: Float { sorted.last ?? 0 }

    /// The fraction of weights with |w| ≤ `threshold` (what a threshold rule prunes).
    public func fractionPruned(atThreshold threshold: Float) -> Double {
        guard !sorted.isEmpty else { return 0 }
        var low = 0
        var high = sorted.count
        while low < high {  // first index with |w| > threshold
            let middle = (low + high) / 2
            if sorted[middle] <= threshold { low = middle + 1 } else { high = middle }
        }
        return Double(low) / Double(sorted.count)
    }
}
