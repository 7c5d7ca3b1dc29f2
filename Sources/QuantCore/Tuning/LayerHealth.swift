import Foundation

/// How well a layer's quantization grid fits its weights, TFLite-debugger style: the RMS of the
/// rounding error measured in steps of the layer's scale.
///
/// Uniform rounding of values spread over many steps leaves an error uniform in ±½ step, whose
/// RMS is `1/√12 ≈ 0.289` steps (`ideal`). Much more (above `suspectAbove`, 0.7) means values are
/// clipped (outliers beyond the range) or the grid is too coarse for them to spread over; much
/// less means most weights sit on a level (e.g. many exact zeros). Pruned weights are left out
/// (their error is pruning, not rounding). Only affine schemes have a step; others have no figure.
public enum LayerHealth {
    /// The RMSE/scale of uniform rounding, `1/√12`.
    public static let ideal = 1 / 12.0.squareRoot()
    /// Above this RMSE/scale a layer is marked suspect.
    public static let suspectAbove = 0.7

    /// RMSE/scale of `report`'s weights, or `nil` for a float layer, a non-affine scheme or no
    /// unpruned weights.
    public static func rmseOverScale(_ report: LayerReport) -> Double? {
        guard let quantized = report.quantized, quantized.settings.scheme.isAffine, !quantized.scales.isEmpty,
            let layout = try? quantized.blockLayout()
        else { return nil }
        let float = report.floatWeights.storage
        let pruned = quantized.prunedMask
        var sum = 0.0
        var count = 0
        for index in float.indices where pruned.isEmpty || !pruned[index] {
            let block = layout.blockIndex(ofElement: index)
            guard block < quantized.scales.count else { continue }
            let scale = Double(quantized.scales[block])
            guard scale > 0, scale.isFinite else { continue }
            let error = (Double(float[index]) - Double(quantized.dequantized[index])) / scale
            sum += error * error
            count += 1
        }
        return count > 0 ? (sum / Double(count)).squareRoot() : nil
    }

    /// Whether an RMSE/scale marks the layer as suspect.
    public static func isSuspect(_ rmseOverScale: Double?) -> Bool {
        (rmseOverScale ?? 0) > suspectAbove
    }
}
