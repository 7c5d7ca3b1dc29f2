/// What quantizing one layer with one `LayerSettings` produced: the weights, their error
/// metrics and their stored size. The dashboard's layer table and `quantdash eval --plan` show it.
public struct LayerReport: Sendable, Equatable {
    /// The layer.
    public var layer: Layer
    /// The settings applied.
    public var settings: LayerSettings
    /// The float weights, `Layer.weightShape`.
    public var floatWeights: Tensor
    /// The quantized (and pruned) weights; `nil` when the layer is untouched float.
    public var quantized: QuantizedWeights?
    /// Error of the dequantized weights against the float weights.
    public var metrics: ErrorMetrics
    /// The stored size of the layer.
    public var size: SizeReport.LayerSize
    /// The band of weights pruned to zero, `−t…t`, for histograms.
    public var prunedBand: ClosedRange<Float>?
    /// Bytes of the weight tensors a QDQ ONNX export stores for the layer (codes, scales, zero
    /// points, or float32 weights where `DequantizeLinear` cannot reproduce them).
    public var qdqWeightBytes = 0

    /// The weights inference uses: dequantized, or the float weights for a float layer.
    public var effectiveWeights: Tensor { quantized?.tensor ?? floatWeights }

    /// Histogram of the float and dequantized weights over the same `binCount` bins.
    public func histogram(binCount: Int) -> WeightHistogram {
        let dequantized = quantized?.dequantized ?? floatWeights.storage
        let levels = quantized.flatMap(WeightHistogram.levels(fromCodes:)) ?? WeightHistogram.levels(of: dequantized)
        return WeightHistogram(
            of: floatWeights.storage, dequantized: dequantized, binCount: max(binCount, 1), range: nil,
            prunedBand: prunedBand, levels: levels)
    }
}
