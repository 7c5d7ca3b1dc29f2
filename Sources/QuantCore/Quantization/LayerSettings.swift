/// Everything that decides how one layer is quantized and pruned.
///
/// `bitWidth == nil` means the weights stay float32. The JSON form (the plan file) is
/// documented in `docs/plan-format.md`.
public struct LayerSettings: Sendable, Equatable, Hashable {
    /// Bits per stored weight code (1…16), or `nil` for float32 weights.
    public var bitWidth: Int?
    /// How codes map to values.
    public var scheme: Scheme
    /// Which weights share a scale.
    public var granularity: Granularity
    /// How the clipping range is chosen.
    public var range: RangeMethod
    /// How values round to codes.
    public var rounding: Rounding
    /// Which weights become zero first, if any.
    public var pruning: PruningRule?
    /// Bits for the layer's output activations (fake-quantized), or `nil` for float activations.
    public var activationBits: Int?
    /// How activation ranges are calibrated when `activationBits` is set.
    public var calibration: CalibrationMethod
    /// Whether the layer's bias absorbs the mean output error its quantized (or pruned) weights
    /// cause on the calibration inputs (empirical bias correction; see `Workbench+BiasCorrection`).
    public var biasCorrection: Bool
    /// Whether the layer is cross-layer equalized with the next layer (its output channels and
    /// the next layer's inputs rescaled before quantization; see `CrossLayerEqualization`).
    public var equalize: Bool
    /// Fraction bits `n` of the fixed-point scheme (step `2^-n`), or `nil` for its data-derived
    /// default (`FixedPointQuantizer`); always `nil` for other schemes.
    public var fractionBits: Int?

    /// Creates settings; the defaults are float weights, symmetric per-channel when quantized.
    public init(
        bitWidth: Int? = nil, scheme: Scheme = .symmetric, granularity: Granularity = .channel,
        range: RangeMethod = .minMax, rounding: Rounding = .nearestEven, pruning: PruningRule? = nil,
        activationBits: Int? = nil, calibration: CalibrationMethod = .minmax, biasCorrection: Bool = false,
        fractionBits: Int? = nil, equalize: Bool = false
    ) {
        self.bitWidth = bitWidth
        self.scheme = scheme
        self.granularity = granularity
        self.range = range
        self.rounding = rounding
        self.pruning = pruning
        self.activationBits = activationBits
        self.calibration = calibration
        self.biasCorrection = biasCorrection
        self.fractionBits = fractionBits
        self.equalize = equalize
    }

    /// Float weights, float activations, no pruning.
    public static let float = LayerSettings()

    /// Whether the layer's weights are left exactly as in the float model.
    public var isFloat: Bool { bitWidth == nil && pruning == nil }
}
