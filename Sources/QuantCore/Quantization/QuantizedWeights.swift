/// One weight tensor after quantization: the stored codes and parameters, and the values they decode to.
///
/// Blocks are the units that share a scale: the whole tensor, one output channel, or one group
/// of `groupSize` weights along the input axis within an output channel (see `Granularity`).
/// `layout.blockIndex(ofElement: i)` names the block of weight `i` (flat, row-major index into `shape`).
public struct QuantizedWeights: Sendable, Equatable {
    /// The settings that produced it.
    public var settings: LayerSettings
    /// The weight's shape, e.g. `[out, in, kH, kW]`.
    public var shape: [Int]
    /// Decoded values, same layout as the float weights: what inference computes with.
    public var dequantized: [Float]
    /// One stored code per weight: the affine integer `q`, a codebook index, an FP8 bit pattern,
    /// or a sign/exponent code, as each scheme documents.
    public var codes: [Int32]
    /// Bits per stored code.
    public var bitWidth: Int
    /// One scale per block (empty for schemes without one).
    public var scales: [Float]
    /// One zero point per block for affine schemes with a zero point (empty otherwise).
    public var zeroPoints: [Int32]
    /// Shared values indexed by codes (k-means centroids, NF4 levels); empty otherwise.
    public var codebook: [Float]
    /// Number of blocks that have their own scale.
    public var blockCount: Int
    /// Weights forced to exactly zero by pruning (`true` = pruned); empty when nothing was pruned.
    public var prunedMask: [Bool]
    /// The axis of `shape` that indexes output channels; with `settings.granularity` it fixes the blocks.
    public var outputChannelAxis: Int

    /// Creates a quantized-weights record.
    public init(
        settings: LayerSettings, shape: [Int], dequantized: [Float], codes: [Int32], bitWidth: Int,
        scales: [Float], zeroPoints: [Int32], codebook: [Float], blockCount: Int, prunedMask: [Bool],
        outputChannelAxis: Int = 0
    ) {
        self.settings = settings
        self.shape = shape
        self.dequantized = dequantized
        self.codes = codes
        self.bitWidth = bitWidth
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.codebook = codebook
        self.blockCount = blockCount
        self.prunedMask = prunedMask
        self.outputChannelAxis = outputChannelAxis
    }

    /// The decoded weights as a tensor.
    public var tensor: Tensor { Tensor(shape: shape, storage: dequantized) }

    /// Number of weights that are exactly zero after decoding.
    public var zeroCount: Int { dequantized.reduce(0) { $0 + ($1 == 0 ? 1 : 0) } }
}
