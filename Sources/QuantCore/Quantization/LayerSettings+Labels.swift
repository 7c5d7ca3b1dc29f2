/// Short labels for tables: the layer table of `quantdash eval --plan`, reports and the dashboard.
extension LayerSettings {
    /// `"8"`, or `"float"` for float weights.
    public var bitWidthLabel: String { bitWidth.map(String.init) ?? "float" }

    /// The scheme's plan-file name, or `"—"` for float weights.
    public var schemeLabel: String { bitWidth == nil ? "—" : scheme.rawValue }

    /// `"tensor"`, `"channel"` or `"group 64"`; `"layer"` for k-means (one codebook per layer,
    /// whatever the granularity); `"—"` for float weights.
    public var granularityLabel: String {
        guard bitWidth != nil else { return "—" }
        return scheme == .kmeans ? "layer" : granularity.label
    }

    /// `"|w| ≤ 0.02"`, `"50 %"`, `"2:4"`, or `"—"` when nothing is pruned.
    public var pruningLabel: String {
        switch pruning {
        case nil: "—"
        case .threshold(let threshold): "|w| ≤ \(threshold)"
        case .sparsity(let sparsity): "\(Int((sparsity * 100).rounded())) %"
        case .pattern(let keep, let of): "\(keep):\(of)"
        }
    }

    /// `"8"`, or `"float"` for float activations.
    public var activationLabel: String { activationBits.map(String.init) ?? "float" }
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
