import Foundation

/// Short labels for tables: the layer table of `quantdash eval --plan`, reports and the dashboard.
extension LayerSettings {
    /// `"8"`, or `"float"` for float weights.
    public var bitWidthLabel: String { bitWidth.map(String.init) ?? "float" }

    /// `bitWidthLabel` with the corrections: `+bc` when the bias is corrected (`"4+bc"`, `"fp+bc"`
    /// for pruned float weights), `+eq` when the layer is equalized with the next, `+ar` when the
    /// rounding is learned; two or three of them: `+ebc` (equalized, bias), `+ab` (learned, bias),
    /// `+ea` (equalized, learned), `+eab` (all three). At most 5 characters below 10 bits, the
    /// layer table's bits column.
    public var bitWidthLabelWithCorrections: String {
        let marker = Self.correctionMarker(
            equalized: equalize, learnedRounding: rounding == .learned && bitWidth != nil,
            biasCorrected: biasCorrection && !isFloat)
        return marker.isEmpty ? bitWidthLabel : (bitWidth.map(String.init) ?? "fp") + marker
    }

    /// The marker of a layer's corrections after its bits (`""` for none): the one table the
    /// layer table, `eval`'s text and the report read.
    public static func correctionMarker(equalized: Bool, learnedRounding: Bool, biasCorrected: Bool) -> String {
        switch (equalized, learnedRounding, biasCorrected) {
        case (false, false, false): ""
        case (false, false, true): "+bc"
        case (true, false, false): "+eq"
        case (false, true, false): "+ar"
        case (true, false, true): "+ebc"
        case (false, true, true): "+ab"
        case (true, true, false): "+ea"
        case (true, true, true): "+eab"
        }
    }

    /// The scheme's plan-file name, or `"—"` for float weights; fixed point shows its fraction
    /// bits instead, `"fixed n=6"`, or `"fixed n=auto"` for the data-derived default (short enough
    /// for the dashboard's 14-column scheme cell).
    public var schemeLabel: String {
        guard bitWidth != nil else { return "—" }
        guard scheme.usesFractionBits else { return scheme.rawValue }
        return "fixed n=" + (fractionBits.map(String.init) ?? "auto")
    }

    /// `"tensor"`, `"channel"` or `"group 64"`; `"layer"` for k-means (one codebook per layer,
    /// whatever the granularity); `"—"` for float weights.
    public var granularityLabel: String {
        guard bitWidth != nil else { return "—" }
        return scheme == .kmeans ? "layer" : granularity.label
    }

    /// `"|w| ≤ 0.02"`, `"50 %"`, `"2:4"`, `"filters 25%"` (11 characters at most: the layer table's prune column), or `"—"` when nothing is pruned.
    public var pruningLabel: String {
        switch pruning {
        case nil: "—"
        case .threshold(let threshold): "|w| ≤ \(threshold)"
        case .sparsity(let sparsity): "\(Int((sparsity * 100).rounded())) %"
        case .pattern(let keep, let of): "\(keep):\(of)"
        case .filters(let fraction): "filters \(Int((fraction * 100).rounded()))%"
        }
    }

    /// `"8"`, or `"float"` for float activations.
    public var activationLabel: String { activationBits.map(String.init) ?? "float" }

    /// `"minmax"`, `"p99.9"` or `"mse"`; `"—"` for float weights (or schemes that ignore it:
    /// mean-std, k-means, binary, ternary pick their own levels).
    public var rangeLabel: String {
        guard bitWidth != nil, scheme.usesRangeMethod else { return "—" }
        return range.label
    }

    /// `"even"` (round half to even) or `"stoch 7"` (stochastic, seed 7); `"—"` for float weights.
    public var roundingLabel: String {
        guard bitWidth != nil else { return "—" }
        return rounding.label
    }

    /// `"8 minmax"`, `"4 entropy"`, or `"—"` for float activations.
    public var activationCalibrationLabel: String {
        activationBits.map { "\($0) \(calibration.rawValue)" } ?? "—"
    }
}

extension Scheme {
    /// One line for help screens: what the scheme stores.
    public var summary: String {
        switch self {
        case .symmetric: "affine, zero point 0, narrow signed range"
        case .symmetricFull: "affine, zero point 0, full signed range"
        case .asymmetric: "affine with a zero point, unsigned codes"
        case .powerOfTwo: "sign and a power-of-two magnitude"
        case .meanStd: "uniform levels clipped at mean ± k·std"
        case .kmeans: "2^b shared values (k-means codebook)"
        case .fp8E4M3: "OCP FP8 E4M3, per-block scale"
        case .fp8E5M2: "OCP FP8 E5M2, per-block scale"
        case .nf4: "4-bit NormalFloat, per-group absmax"
        case .binary: "sign(w) · mean |w|"
        case .ternary: "{-a, 0, +a}, threshold 0.7 · mean |w|"
        case .fixedPoint: "Qm.n: signed codes · 2^-n, n set (n/N) or fitted"
        }
    }

    /// Whether the range method (min-max, percentile, MSE) changes what the scheme stores: the
    /// affine, power-of-two, FP8 and NF4 schemes clip; the others pick their own levels (fixed
    /// point its step: `fractionBits`).
    public var usesRangeMethod: Bool {
        switch self {
        case .symmetric, .symmetricFull, .asymmetric, .powerOfTwo, .fp8E4M3, .fp8E5M2, .nf4: true
        case .meanStd, .kmeans, .binary, .ternary, .fixedPoint: false
        }
    }
}

extension RangeMethod {
    /// `"minmax"`, `"p99.9"` or `"mse"`.
    public var label: String {
        switch self {
        case .minMax: "minmax"
        case .percentile(let value): "p" + String(format: "%g", value)
        case .mse: "mse"
        }
    }
}

extension Rounding {
    /// `"even"`, `"stoch 7"` or `"learned"`.
    public var label: String {
        switch self {
        case .nearestEven: "even"
        case .stochastic(let seed): "stoch \(seed)"
        case .learned: "learned"
        }
    }
}

extension Granularity {
    /// `"tensor"`, `"channel"` or `"group 64"`.
    public var label: String {
        switch self {
        case .tensor: "tensor"
        case .channel: "channel"
        case .group(let size): "group \(size)"
        }
    }
}
