/// The exact byte count of the packed model our exporter writes, per layer and in total.
///
/// One size model is used by the dashboard and the exporter (DESIGN.md: "the size shown is the
/// size of what we export"). For a layer with `n` weights stored at `b` bits in `B` blocks:
///
/// | part | bytes | when |
/// | --- | --- | --- |
/// | codes (dense) | `⌈n · b / 8⌉` | quantized layers, bit-packed, no padding per block |
/// | scales | `4 · B` (float32 per block) | schemes with a scale: affine, mean-std, power-of-two, fp8, nf4, binary, ternary |
/// | zero points | `B · ⌈b / 8⌉` (b bits rounded up to whole bytes, per block) | schemes with a zero point (asymmetric) |
/// | codebook | `4 · max(entries, 2^b)` (float32) | k-means (one table per layer); nf4 levels are fixed → 0 |
/// | sparse codes | `⌈n / 8⌉` occupancy bitmap + `⌈nnz · b / 8⌉` | any quantized layer (pruned or not), when cheaper than dense (always for pruned binary layers, whose 1-bit codes cannot say 0) |
/// | bias | `4 · biasCount` (float32) | always |
///
/// `nnz` counts the weights whose dequantized value is not exactly 0; the bitmap marks them and
/// only their codes are stored. Float layers store `4 · n` (a pruned float layer: the cheaper of
/// `4 · n` and `⌈n / 8⌉ + 4 · nnz`). Every initializer that is not a layer's weight or bias is
/// stored as float32. Scale, zero point and codebook counts are read off `QuantizedWeights`
/// (`scales`, `zeroPoints`, `codebook`), so the size follows what the quantizer produced.
///
/// Worked example: 1000 weights, 4 bits, per-channel over 10 channels, symmetric →
/// codes ⌈1000 · 4 / 8⌉ = 500, scales 10 · 4 = 40 → 540 bytes (float32: 4000, ratio 7.4×);
/// asymmetric adds 10 · 1 = 10 zero-point bytes → 550.
public enum SizeModel {
    /// Bytes per float32 value.
    public static let floatByteCount = 4

    /// The size report for a model: every layer (in the given order) and every other initializer.
    ///
    /// - Parameters:
    ///   - layers: the model's layers (`Graph.layers`).
    ///   - quantized: quantized weights by layer name; a layer without an entry stays float.
    ///   - allInitializers: every initializer of the model, including layer weights and biases.
    /// A weight or bias missing from `allInitializers` is sized from the layer's counts.
    public static func report(
        layers: [Layer], quantized: [String: QuantizedWeights], allInitializers: [String: Tensor]
    ) -> SizeReport {
        var layerSizes: [SizeReport.LayerSize] = []
        var covered = Set<String>()
        var missingFloatBytes = 0
        for layer in layers {
            let biasCount = layer.biasName.flatMap { allInitializers[$0]?.count } ?? layer.biasCount
            layerSizes.append(layerSize(layer, quantized: quantized[layer.name], biasCount: biasCount))
            for name in [layer.weightName, layer.biasName].compactMap({ $0 }) where !covered.contains(name) {
                covered.insert(name)
                if allInitializers[name] == nil {
                    missingFloatBytes += floatByteCount * (name == layer.weightName ? layer.weightCount : biasCount)
                }
            }
        }
        var otherBytes = 0
        var allFloatBytes = missingFloatBytes
        for (name, tensor) in allInitializers {
            allFloatBytes += floatByteCount * tensor.count
            if !covered.contains(name) { otherBytes += floatByteCount * tensor.count }
        }
        let currentBytes = layerSizes.reduce(otherBytes) { $0 + $1.quantizedBytes }
        for index in layerSizes.indices {
            layerSizes[index].share =
                currentBytes > 0 ? Double(layerSizes[index].quantizedBytes) / Double(currentBytes) : 0
        }
        return SizeReport(
            layers: layerSizes, otherInitializerBytes: otherBytes, floatBytes: allFloatBytes, currentBytes: currentBytes
        )
    }

    /// The stored size of one layer (its `share` is left 0; `report` fills it in).
    ///
    /// - Parameters:
    ///   - quantized: the layer's quantized weights, or nil for a float layer.
    ///   - biasCount: the bias length (defaults to `layer.biasCount`).
    public static func layerSize(
        _ layer: Layer, quantized: QuantizedWeights?, biasCount: Int? = nil
    )
        -> SizeReport.LayerSize
    {
        let bias = biasCount ?? layer.biasCount
        var size = SizeReport.LayerSize(name: layer.name, weightCount: layer.weightCount, biasCount: bias)
        size.biasBytes = floatByteCount * bias
        guard let quantized, !quantized.settings.isFloat else {
            size.codeBytes = floatByteCount * layer.weightCount
            return size
        }
        let count = quantized.dequantized.count
        size.weightCount = count
        let nonZeroCount = count - quantized.zeroCount

        guard quantized.settings.bitWidth != nil else {
            // Pruned but not quantized: float32 values, dense or sparse.
            size.valueBitWidth = 32
            let bitmap = occupancyBytes(count: count)
            let sparseValues = floatByteCount * nonZeroCount
            size.codeBytes = floatByteCount * count
            if bitmap + sparseValues < size.codeBytes {
                (size.encoding, size.occupancyBytes, size.codeBytes) = (.sparse, bitmap, sparseValues)
            }
            return size
        }

        let bitWidth = quantized.bitWidth
        size.valueBitWidth = bitWidth
        size.encoding = .dense
        size.codeBytes = packedBytes(count: count, bitWidth: bitWidth)
        // Dense or bitmap storage is chosen on its merits for every layer, pruned or not: zeros
        // from rounding count as much as pruned ones, so a prune rule that removes nothing
        // changes nothing.
        let sparseCodes = packedBytes(count: nonZeroCount, bitWidth: bitWidth)
        // Binary codes cannot say 0: zeros there can only be stored through the bitmap.
        let mustBeSparse = !quantized.settings.scheme.hasZeroCode && nonZeroCount < count
        if mustBeSparse || occupancyBytes(count: count) + sparseCodes < size.codeBytes {
            size.encoding = .sparse
            size.occupancyBytes = occupancyBytes(count: count)
            size.codeBytes = sparseCodes
        }
        size.scaleBytes = floatByteCount * quantized.scales.count
        size.zeroPointBytes = quantized.zeroPoints.count * packedBytes(count: 1, bitWidth: bitWidth)
        if quantized.settings.scheme.usesCodebook {
            size.codebookBytes = floatByteCount * max(quantized.codebook.count, 1 << min(bitWidth, 16))
        }
        return size
    }

    /// Bytes for `count` values bit-packed at `bitWidth` bits: `⌈count · bitWidth / 8⌉`.
    public static func packedBytes(count: Int, bitWidth: Int) -> Int {
        (max(count, 0) * max(bitWidth, 0) + 7) / 8
    }

    /// Bytes of the occupancy bitmap of a sparse tensor of `count` weights: `⌈count / 8⌉`.
    public static func occupancyBytes(count: Int) -> Int {
        packedBytes(count: count, bitWidth: 1)
    }
}
