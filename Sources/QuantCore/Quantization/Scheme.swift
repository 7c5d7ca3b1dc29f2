/// How weight codes map to values. One case per format; its properties (`allowedBitWidths`
/// here, `summary` and `usesRangeMethod` in `LayerSettings+Labels.swift`) are what size,
/// export and the UI read.
public enum Scheme: String, Sendable, Codable, CaseIterable, Equatable {
    /// Affine, zero point 0, narrow signed range `[-(2^(b-1) - 1), 2^(b-1) - 1]` (TFLite, ONNX Runtime, TensorRT).
    case symmetric
    /// Affine, zero point 0, full signed range `[-2^(b-1), 2^(b-1) - 1]` (PyTorch qint8 observers).
    case symmetricFull = "symmetric-full"
    /// Affine with zero point, unsigned range `[0, 2^b - 1]` over `[min(w, 0), max(w, 0)]`.
    case asymmetric
    /// Sign and a power-of-two magnitude: log-domain levels `±scale · 2^-k` ("log quantization").
    case powerOfTwo = "power-of-two"
    /// Clip at `μ ± kσ`, then uniform levels over the clipped range ("statistical quantization").
    case meanStd = "mean-std"
    /// `2^b` shared values found by Lloyd's algorithm; codes index the codebook (Deep Compression).
    case kmeans
    /// OCP FP8 E4M3 (4 exponent bits, 3 mantissa bits, max 448), per-block scale, saturating.
    case fp8E4M3 = "fp8-e4m3"
    /// OCP FP8 E5M2 (5 exponent bits, 2 mantissa bits, max 57344), per-block scale, saturating.
    case fp8E5M2 = "fp8-e5m2"
    /// QLoRA's 4-bit NormalFloat: 16 fixed levels on `[-1, 1]` times a per-group absmax.
    case nf4
    /// One bit: `sign(w) · mean|w|` per block (BinaryConnect / XNOR-Net scaling).
    case binary
    /// Ternary weight networks: `{-α, 0, +α}` with threshold `0.7 · mean|w|` (TWN).
    case ternary
    /// Fixed point Qm.n: signed `b`-bit codes times `2^-n`, `n` fraction bits set by the user
    /// (`LayerSettings.fractionBits`) or, when not set, the largest that fits `max |w|`.
    case fixedPoint = "fixed-point"

    /// The bit widths this scheme can store; affine-like schemes take any width in 2…16 (1 for some).
    public var allowedBitWidths: ClosedRange<Int> {
        switch self {
        case .symmetric, .symmetricFull, .fixedPoint: 2...16
        case .asymmetric: 1...16
        case .powerOfTwo: 2...8
        case .meanStd: 2...16
        case .kmeans: 1...8
        case .fp8E4M3, .fp8E5M2: 8...8
        case .nf4: 4...4
        case .binary: 1...1
        case .ternary: 2...2
        }
    }

    /// The bit width used when the scheme fixes it or the user gives none.
    public var defaultBitWidth: Int {
        switch self {
        case .fp8E4M3, .fp8E5M2: 8
        case .nf4: 4
        case .binary: 1
        case .ternary: 2
        default: 8
        }
    }

    /// Whether the scheme is affine, i.e. exactly expressible as ONNX `DequantizeLinear`.
    public var isAffine: Bool {
        switch self {
        case .symmetric, .symmetricFull, .asymmetric, .meanStd, .fixedPoint: true
        default: false
        }
    }

    /// Whether codes are signed two's-complement integers with zero point 0 (a signed ONNX type,
    /// the C decoder's `affine signed` kind).
    public var hasSignedCodes: Bool { self == .symmetric || self == .symmetricFull || self == .fixedPoint }

    /// Whether the scheme reads `LayerSettings.fractionBits` (the step `2^-n` is set, not derived).
    public var usesFractionBits: Bool { self == .fixedPoint }

    /// Whether a dense code can stand for an exact 0. Binary codes are only ±α, so a pruned binary
    /// layer must be stored sparse (occupancy bitmap + codes of the non-zeros). k-means reserves
    /// code 0 for exact 0 when anything is pruned.
    public var hasZeroCode: Bool { self != .binary }

    /// Whether the scheme has a per-layer codebook (stored once, 32-bit floats).
    public var usesCodebook: Bool { self == .kmeans }
}

/// Which weights share one scale (and zero point).
public enum Granularity: Sendable, Equatable, Hashable {
    /// One scale for the whole tensor.
    case tensor
    /// One scale per output channel (axis 0 of Conv and of Gemm with transB, axis 1 of MatMul).
    case channel
    /// One scale per `size` consecutive weights along the input axis within an output channel.
    case group(size: Int)
}

/// How the clipping range of a weight block is chosen.
public enum RangeMethod: Sendable, Equatable, Hashable {
    /// The full range `[min, max]` of the block.
    case minMax
    /// Clip `|w|` (or each tail) at the given percentile, e.g. 99.9.
    case percentile(Double)
    /// Search clip ratios and keep the one with the smallest MSE.
    case mse
}

/// How a value between two levels picks its code.
public enum Rounding: Sendable, Equatable, Hashable {
    /// Round half to even (ONNX `QuantizeLinear`).
    case nearestEven
    /// Round up with probability equal to the fractional part, from a seeded generator.
    case stochastic(seed: UInt64)
    /// Up or down per weight, learned on calibration inputs (AdaRound, Nagel et al. 2020), keeping
    /// the scale and zero point nearest-even rounding picks: affine schemes only, see
    /// `LearnedRounding` and `Workbench+LearnedRounding.swift`.
    case learned
}

/// Which weights are set to exactly zero before quantization.
public enum PruningRule: Sendable, Equatable, Hashable {
    /// Weights with `|w| ≤ threshold` become 0.
    case threshold(Float)
    /// The smallest-magnitude fraction `sparsity` (0…1) of weights becomes 0.
    case sparsity(Double)
    /// N:M structured sparsity: in every M consecutive input weights keep the N largest.
    case pattern(keep: Int, of: Int)
    /// Structured pruning: the fraction `round(s · C_out)` of whole output filters (Conv) or
    /// neurons (Gemm/MatMul) with the smallest L1 norm becomes 0, bias included, and exports
    /// remove them (`Pruner+Filters.swift`, `FilterRemoval`).
    case filters(Double)
}

/// How activation ranges are calibrated on the calibration set.
public enum CalibrationMethod: String, Sendable, Codable, CaseIterable, Equatable {
    /// The observed minimum and maximum.
    case minmax
    /// The 99.99th percentile of |x| (or the configured percentile).
    case percentile
    /// The threshold minimizing KL divergence between float and quantized histograms (TensorRT's
    /// entropy calibration as NVIDIA ModelOpt implements it). Clips far too hard on histograms
    /// dominated by a few spikes (e.g. a convolution's bias on blank input) and never clips an
    /// outlier isolated behind empty bins: see `ActivationCalibrator+Entropy.swift`.
    case entropy
    /// The threshold minimizing mean squared error.
    case mse
}
